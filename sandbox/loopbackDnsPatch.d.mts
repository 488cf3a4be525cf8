export declare const LOOPBACK_SUFFIXES: readonly string[];
export declare function isLoopbackHost(hostname: string): boolean;
export declare function installLoopbackDns(): void;
