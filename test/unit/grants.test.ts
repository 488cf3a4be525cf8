import { describe, expect, it } from 'vitest';
import { accountLiteral, grantStatements, parseGrants, sqlString } from '../../function/src/grants.ts';

const CLONE = "'app_clone'@'%'";

describe('grant sync from SHOW GRANTS', () => {
  it('adds what the clone misses and revokes what the current user no longer has, privilege by privilege', () => {
    const current = parseGrants([
      "GRANT USAGE ON *.* TO `app`@`%` IDENTIFIED BY PASSWORD '*0123456789ABCDEF0123456789ABCDEF01234567'",
      'GRANT SELECT, INSERT ON `shop`.* TO `app`@`%`',
      'GRANT SELECT (`id`, `note`), UPDATE (`note`) ON `shop`.`orders` TO `app`@`%`',
      'GRANT EXECUTE ON PROCEDURE `shop`.`tally` TO `app`@`%` WITH GRANT OPTION',
    ]);
    const clone = parseGrants([
      'GRANT USAGE ON *.* TO `app_clone`@`%`',
      'GRANT SELECT, DELETE ON `shop`.* TO `app_clone`@`%`',
      'GRANT SELECT (`id`), UPDATE (`note`, `total`) ON `shop`.`orders` TO `app_clone`@`%`',
    ]);

    const statements = grantStatements(current, clone, CLONE);

    expect(statements).toEqual([
      `REVOKE DELETE ON \`shop\`.* FROM ${CLONE}`,
      `REVOKE UPDATE (\`total\`) ON \`shop\`.\`orders\` FROM ${CLONE}`,
      `GRANT INSERT ON \`shop\`.* TO ${CLONE}`,
      `GRANT SELECT (\`note\`) ON \`shop\`.\`orders\` TO ${CLONE}`,
      `GRANT EXECUTE ON PROCEDURE \`shop\`.\`tally\` TO ${CLONE} WITH GRANT OPTION`,
    ]);
  });

  it('never carries the password hash of the current user into a statement', () => {
    const current = parseGrants([
      "GRANT USAGE ON *.* TO `app`@`%` IDENTIFIED BY PASSWORD '*0123456789ABCDEF0123456789ABCDEF01234567' REQUIRE SSL",
    ]);

    const statements = grantStatements(current, parseGrants([]), CLONE);

    expect(statements.join(' ')).not.toContain('0123456789');
    expect(statements).toEqual([]);
  });

  it('keeps roles, their admin option, the default role and GRANT OPTION in step', () => {
    const current = parseGrants([
      'GRANT `reader` TO `app`@`%` WITH ADMIN OPTION',
      'GRANT `writer`@`%` TO `app`@`%`',
      'GRANT USAGE ON *.* TO `app`@`%` WITH GRANT OPTION',
      'SET DEFAULT ROLE `reader` FOR `app`@`%`',
    ]);
    const clone = parseGrants([
      'GRANT `auditor` TO `app_clone`@`%`',
      'GRANT `writer`@`%` TO `app_clone`@`%`',
    ]);

    expect(grantStatements(current, clone, CLONE)).toEqual([
      `REVOKE \`auditor\` FROM ${CLONE}`,
      `GRANT USAGE ON *.* TO ${CLONE} WITH GRANT OPTION`,
      `GRANT \`reader\` TO ${CLONE} WITH ADMIN OPTION`,
      `SET DEFAULT ROLE \`reader\` FOR ${CLONE}`,
    ]);
    expect(grantStatements(clone, current, CLONE)).toContain(`REVOKE GRANT OPTION ON *.* FROM ${CLONE}`);
    expect(grantStatements(clone, current, CLONE)).toContain(`SET DEFAULT ROLE NONE FOR ${CLONE}`);
  });

  it('needs nothing when both users hold the same grants', () => {
    const lines = [
      'GRANT ALL PRIVILEGES ON `shop`.* TO `x`@`%`',
      'GRANT SELECT ON `a ON b`.`t TO u` TO `x`@`%`',
    ];

    expect(grantStatements(parseGrants(lines), parseGrants(lines), CLONE)).toEqual([]);
    expect([...parseGrants(lines).objects.keys()]).toEqual(['`shop`.*', '`a ON b`.`t TO u`']);
  });

  it('quotes user and host as string literals whatever they hold', () => {
    expect(accountLiteral("o'neil\\", '10.0.0.%')).toBe("'o''neil\\\\'@'10.0.0.%'");
    expect(sqlString('a?b')).toBe("'a?b'");
  });
});
