import express from 'express';
import request from 'supertest';
import { outcomes } from '../../../bridge/fhir/outcome';
import { errorHandler } from '../../../bridge/http/errors';
import { createLogger } from '../../../bridge/log';

function appThrowing(err: unknown): express.Express {
  const app = express();
  app.get('/', () => {
    throw err;
  });
  app.use(errorHandler(createLogger('silent'), 1024));
  return app;
}

test('a 503 that will pass carries Retry-After with its OperationOutcome', async () => {
  const res = await request(appThrowing(outcomes.unavailable('busy', { retryAfterSeconds: 1 }))).get('/');
  expect(res.status).toBe(503);
  expect(res.headers['retry-after']).toBe('1');
  expect(res.body).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ code: 'transient', diagnostics: 'busy' }] });
});

test('other errors carry no Retry-After; faults say nothing of their cause', async () => {
  const res = await request(appThrowing(outcomes.structure('bad'))).get('/');
  expect(res.status).toBe(400);
  expect(res.headers['retry-after']).toBeUndefined();
  const fault = await request(appThrowing(Object.assign(new Error('duplicate key value (secret)=(x)'), { code: '23505' }))).get('/');
  expect(fault.status).toBe(500);
  expect(JSON.stringify(fault.body)).not.toMatch(/secret|duplicate|23505/);
});

test("a PostgreSQL data exception (class 22) is the client's 400, saying nothing of its cause", async () => {
  for (const code of ['22P02', '22003', '22008', '22P05', '22001']) {
    const res = await request(appThrowing(Object.assign(new Error('invalid input syntax for type json (secret)'), { code }))).get('/');
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ code: 'invalid' }] });
    expect(JSON.stringify(res.body)).not.toMatch(/secret|syntax|22/);
  }
  // other classes stay faults
  expect((await request(appThrowing(Object.assign(new Error('x'), { code: '42883' }))).get('/')).status).toBe(500);
});

test('invalid percent-encoding and undecodable bodies are 400s', async () => {
  const uri = await request(appThrowing(new URIError('URI malformed'))).get('/');
  expect([uri.status, uri.body.issue[0].diagnostics]).toEqual([400, 'the request URL holds invalid percent-encoding']);
  const zlib = await request(appThrowing(Object.assign(new Error('incorrect header check'), { code: 'Z_DATA_ERROR' }))).get('/');
  expect([zlib.status, zlib.body.issue[0].diagnostics]).toEqual([400, 'the request body could not be decoded as its Content-Encoding says']);
});
