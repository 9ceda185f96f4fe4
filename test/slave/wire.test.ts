// The wire envelope: request lines parsed or rejected (with the id to answer under), errors
// sent as plain { code, message, path } and rebuilt as GeorepError, reply lines parsed or
// dropped as noise. The agent and the client use these; here each rule is pinned alone.

import { expect } from 'chai';
import { GeorepError } from '../../src/errors.js';
import { UNKNOWN_REQUEST_ID } from '../../src/slave/protocol.js';
import {
  fromWireError,
  isRejected,
  parseRequest,
  parseResponse,
  salvageId,
  toWireError,
} from '../../src/slave/wire.js';

const rejected = (line: string): [number, string] => {
  const r = parseRequest(line);
  if (!isRejected(r)) throw new Error(`accepted: ${line}`);
  return [r.id, r.error.code];
};

describe('slave/wire', () => {
  it('parses a request envelope, leaving params to the method', () => {
    const r = parseRequest('{"id":7,"method":"hello","params":{"any":"thing"}}');
    expect(isRejected(r)).to.equal(false);
    expect(r).to.deep.equal({ id: 7, method: 'hello', params: { any: 'thing' } });
  });

  it('rejects a bad request as BAD_REQUEST, under its id when it can be read', () => {
    expect(rejected('{"id":12,"method":"hello",')).to.deep.equal([12, 'BAD_REQUEST']);
    expect(rejected('not json')).to.deep.equal([UNKNOWN_REQUEST_ID, 'BAD_REQUEST']);
    expect(rejected('[1,2]')).to.deep.equal([UNKNOWN_REQUEST_ID, 'BAD_REQUEST']);
    expect(rejected('{"id":-1,"method":"hello"}')).to.deep.equal([UNKNOWN_REQUEST_ID, 'BAD_REQUEST']);
    expect(rejected('{"id":1.5,"method":"hello"}')).to.deep.equal([UNKNOWN_REQUEST_ID, 'BAD_REQUEST']);
    expect(rejected('{"id":3,"method":"constructor"}')).to.deep.equal([3, 'BAD_REQUEST']);
    expect(rejected('{"id":4,"method":"__proto__"}')).to.deep.equal([4, 'BAD_REQUEST']);
  });

  it('salvages the id only from the head of an object line', () => {
    expect([
      salvageId('{"id": 42, "method"'),
      salvageId(' { "id":5}'),
      salvageId('{"method":"x","id":5}'),
    ]).to.deep.equal([42, 5, UNKNOWN_REQUEST_ID]);
    expect(salvageId(`{"id":${'9'.repeat(16)},`)).to.equal(UNKNOWN_REQUEST_ID);
  });

  it('sends errors as plain data and rebuilds them with their code', () => {
    const g = new GeorepError('NAME_TOO_LONG', 'too long', { path: 'a/b' });
    expect(toWireError(g)).to.deep.equal({ code: 'NAME_TOO_LONG', message: 'too long', path: 'a/b' });
    const sys = Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
    expect(toWireError(sys)).to.deep.equal({ code: 'EACCES', message: 'EACCES: permission denied' });
    expect(toWireError('odd')).to.deep.equal({ code: 'IO_ERROR', message: 'odd' });

    const back = fromWireError({ code: 'NAME_TOO_LONG', message: 'too long', path: 'a/b' });
    expect([back.code, back.path, back.errno]).to.deep.equal(['NAME_TOO_LONG', 'a/b', undefined]);
    const errno = fromWireError({ code: 'EACCES', message: 'denied' });
    expect([errno.code, errno.errno]).to.deep.equal(['IO_ERROR', 'EACCES']);
  });

  it('parses replies and drops noise', () => {
    expect(parseResponse('{"id":1,"result":null}')).to.deep.equal({ id: 1, result: null });
    expect(parseResponse('{"id":2,"error":{"code":"BAD_NAME","message":"m","path":"p","stack":"x"}}')).to.deep.equal({
      id: 2,
      error: { code: 'BAD_NAME', message: 'm', path: 'p' },
    });
    for (const noise of [
      '',
      'Welcome!',
      '[]',
      '{"result":1}',
      '{"id":"1","result":1}',
      '{"id":3,"error":"x"}',
      '{"id":3}',
    ]) {
      expect(parseResponse(noise), noise).to.equal(undefined);
    }
  });
});
