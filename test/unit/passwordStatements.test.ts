import { describe, expect, it } from 'vitest';
import { classifyDatabaseError, classifyPasswordStatementError } from '../../function/src/databaseErrors.ts';
import { DatabaseError } from '../../function/src/errors.ts';
import {
  hashRefusedForPlaintext,
  literalSafeSqlMode,
  nativePasswordHash,
  setPasswordHashSql,
} from '../../function/src/passwordStatements.ts';

// The pure parts of the password statements; the server's side of them is in
// test/integration/database.test.ts.
describe('the hash form', () => {
  it('is hex only, whatever the password holds', () => {
    const sql = setPasswordHashSql(`a'b"c\\d%e f ä`);

    expect(sql).toMatch(/^SET PASSWORD = '\*[0-9A-F]{40}'$/);
  });

  it("is mysql_native_password's SHA1(SHA1(password))", () => {
    // The value MySQL's documentation and every client library agree on for "password".
    expect(nativePasswordHash('password')).toBe('*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19');
  });
});

describe('when MariaDB refuses the hash', () => {
  it.each([
    {
      refusal: 'another authentication plugin (1372) calls for',
      errno: 1372,
      readOnly: false,
      plaintext: true,
    },
    { refusal: 'strict password validation (1290) calls for', errno: 1290, readOnly: false, plaintext: true },
    {
      refusal: 'read_only (1290 too, failing any form) calls for no',
      errno: 1290,
      readOnly: true,
      plaintext: false,
    },
    { refusal: 'a syntax error (1064) calls for no', errno: 1064, readOnly: false, plaintext: false },
    { refusal: 'an error without errno calls for no', errno: undefined, readOnly: false, plaintext: false },
  ])('$refusal plaintext form', ({ errno, readOnly, plaintext }) => {
    expect(hashRefusedForPlaintext(errno, readOnly)).toBe(plaintext);
  });
});

describe('a sql_mode safe for a client-escaped literal', () => {
  it('is the same mode without NO_BACKSLASH_ESCAPES', () => {
    const safe = literalSafeSqlMode('ANSI_QUOTES,NO_BACKSLASH_ESCAPES,STRICT_TRANS_TABLES');

    expect(safe).toBe('ANSI_QUOTES,STRICT_TRANS_TABLES');
  });

  it('is nothing to set when the mode has no NO_BACKSLASH_ESCAPES, or is empty', () => {
    expect(literalSafeSqlMode('ANSI_QUOTES,STRICT_TRANS_TABLES')).toBeUndefined();
    expect(literalSafeSqlMode('')).toBeUndefined();
  });

  it('is refused when the mode is not a list of mode names', () => {
    const attempt = () => literalSafeSqlMode("ANSI_QUOTES','x");

    expect(attempt).toThrow(
      new DatabaseError(
        'fatal',
        "the session's sql_mode is not a list of mode names (15 characters); refusing to send a password literal",
      ),
    );
  });
});

describe('the error of a statement that carried a password', () => {
  // A driver error as mysql2 makes it for a syntax error: the server's text quotes the statement
  // from where parsing stopped, and `sql` holds the statement itself. No server produces this on
  // purpose any more (the statements are right in every mode), hence the hand-made error.
  const syntaxError = Object.assign(
    new Error("You have an error in your SQL syntax; ... near 'cret-Password')' at line 1"),
    { code: 'ER_PARSE_ERROR', errno: 1064, sql: "SET PASSWORD = PASSWORD('se\\'cret-Password')" },
  );

  it('keeps the code and errno and nothing of the server text or the statement', () => {
    const error = classifyPasswordStatementError(syntaxError, 'the password change');

    expect(error).toEqual(
      new DatabaseError(
        'fatal',
        "database error: the password change failed with error 1064 (ER_PARSE_ERROR); the server's message is not shown because the statement carried the password",
        'ER_PARSE_ERROR',
      ),
    );
    expect(error.cause).toBeUndefined();
  });

  it('is still sorted by kind: a lost connection may be retried', () => {
    const lost = Object.assign(new Error('Connection lost: The server closed the connection.'), {
      code: 'PROTOCOL_CONNECTION_LOST',
    });

    const error = classifyPasswordStatementError(lost, 'the password change');

    expect(error.kind).toBe('transient');
    expect(error.message).toBe(
      "unreachable or busy: the password change failed with PROTOCOL_CONNECTION_LOST; the server's message is not shown because the statement carried the password",
    );
  });

  it('differs from the error of a login, which keeps the server text', () => {
    const denied = Object.assign(new Error("Access denied for user 'app'@'10.0.0.1' (using password: YES)"), {
      code: 'ER_ACCESS_DENIED_ERROR',
      errno: 1045,
    });

    const error = classifyDatabaseError(denied);

    expect(error.kind).toBe('auth');
    expect(error.message).toBe(
      "login refused: Access denied for user 'app'@'10.0.0.1' (using password: YES) [ER_ACCESS_DENIED_ERROR]",
    );
  });
});
