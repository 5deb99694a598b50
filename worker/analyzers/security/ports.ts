/** Authentication services (port → name) watched for brute force: repeated short connections. */
export const AUTH_PORTS: ReadonlyMap<number, string> = new Map([
  [21, 'FTP'],
  [22, 'SSH'],
  [23, 'Telnet'],
  [25, 'SMTP'],
  [110, 'POP3'],
  [143, 'IMAP'],
  [389, 'LDAP'],
  [445, 'SMB'],
  [465, 'SMTPS'],
  [587, 'SMTP submission'],
  [636, 'LDAPS'],
  [993, 'IMAPS'],
  [995, 'POP3S'],
  [1433, 'MS SQL'],
  [1521, 'Oracle'],
  [3306, 'MySQL'],
  [3389, 'RDP'],
  [5432, 'PostgreSQL'],
  [5900, 'VNC'],
  [5985, 'WinRM'],
  [5986, 'WinRM'],
  [6379, 'Redis'],
  [27017, 'MongoDB'],
]);

/** Web ports where a login form can be attacked with one request per connection. */
export const HTTP_PORTS: ReadonlyMap<number, string> = new Map([
  [80, 'HTTP'],
  [443, 'HTTPS'],
  [8000, 'HTTP'],
  [8080, 'HTTP'],
  [8443, 'HTTPS'],
  [8888, 'HTTP'],
]);

/** Administrative / remote-execution ports (port → name) watched for lateral movement. */
export const ADMIN_PORTS: ReadonlyMap<number, string> = new Map([
  [22, 'SSH'],
  [135, 'RPC'],
  [445, 'SMB'],
  [3389, 'RDP'],
  [5985, 'WinRM'],
  [5986, 'WinRM-TLS'],
]);
