// The version we report (`heartbeat -V`, the API's hbversion), and the Heartbeat release we replace.

export const VERSION = '0.1.0';
export const COMPATIBLE_WITH = '3.0.6';
