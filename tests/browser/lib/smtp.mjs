// A small SMTP sink on loopback (enough of RFC 5321 for lettre without TLS): every message
// it accepts is kept in memory, its body with quoted-printable undone.
import { createServer } from 'node:net';

function decodeQuotedPrintable(text) {
  const joined = text.replace(/=\r?\n/g, '');
  const bytes = [];
  for (let i = 0; i < joined.length; i++) {
    const hex = joined.slice(i + 1, i + 3);
    if (joined[i] === '=' && /^[0-9A-F]{2}$/i.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(joined[i], 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** Starts the sink; returns { port, mails: [{ to, data, text }], waitForMail(), stop() }. */
export async function startSmtpSink() {
  const mails = [];
  const server = createServer((socket) => {
    socket.setEncoding('utf8');
    let buffer = '';
    let inData = false;
    let to = [];
    const reply = (line) => socket.write(`${line}\r\n`);
    reply('220 sink ESMTP');
    socket.on('data', (chunk) => {
      buffer += chunk;
      for (;;) {
        if (inData) {
          const end = buffer.indexOf('\r\n.\r\n');
          if (end < 0) return;
          const data = buffer.slice(0, end).replace(/\r\n\.\./g, '\r\n.');
          buffer = buffer.slice(end + 5);
          inData = false;
          const [, body = ''] = data.split(/\r\n\r\n/, 2).length === 2
            ? [null, data.slice(data.indexOf('\r\n\r\n') + 4)]
            : [null, ''];
          mails.push({ to, data, text: decodeQuotedPrintable(body) });
          to = [];
          reply('250 queued');
          continue;
        }
        const eol = buffer.indexOf('\r\n');
        if (eol < 0) return;
        const line = buffer.slice(0, eol);
        buffer = buffer.slice(eol + 2);
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === 'EHLO' || verb === 'HELO') reply('250 sink');
        else if (verb === 'MAIL') reply('250 ok');
        else if (verb === 'RCPT') {
          to.push(line.replace(/^RCPT TO:\s*<?([^>]*)>?.*$/i, '$1'));
          reply('250 ok');
        } else if (verb === 'DATA') {
          inData = true;
          reply('354 end with .');
        } else if (verb === 'QUIT') {
          reply('221 bye');
          socket.end();
        } else reply('250 ok');
      }
    });
    socket.on('error', () => {});
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address();

  /** Polls until a mail to `address` is there (deadline, no fixed sleep); returns it. */
  async function waitForMail(address, limitMs = 30_000) {
    const deadline = Date.now() + limitMs;
    for (;;) {
      const mail = mails.find((m) => m.to.includes(address));
      if (mail) return mail;
      if (Date.now() > deadline) throw new Error(`no mail to ${address} within ${limitMs} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  return { port, mails, waitForMail, stop: () => new Promise((ok) => server.close(ok)) };
}
