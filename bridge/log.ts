import pino, { DestinationStream, Logger } from 'pino';

/**
 * JSON logs. Never log bodies, headers or resources: they carry personal data and keys.
 * Redaction is a second line of defence for anything that slips through.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'fhir-anchor-bridge' },
      redact: {
        paths: ['req.headers.authorization', 'headers.authorization', 'authorization', 'apiKey', 'adminToken', 'password', 'body', 'resource'],
        censor: '[redacted]',
      },
    },
    destination,
  );
}

export type { Logger };
