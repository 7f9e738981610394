//! What the operator's log shows when strangers send malformed requests: nothing, unless
//! the operator asks for the HTTP layer's own messages.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running `internetwache serve` on a fresh SQLite database, its stderr captured.
struct Server {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Server {
    fn start(log_level: &str) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(env!("CARGO_BIN_EXE_internetwache"))
            .arg("serve")
            .current_dir(dir.path())
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .envs([
                ("IW_DATA_DIR", "data"),
                ("IW_BIND", &format!("127.0.0.1:{port}")),
                (
                    "IW_FORMS_DIR",
                    concat!(env!("CARGO_MANIFEST_DIR"), "/forms"),
                ),
                ("IW_LOG_LEVEL", log_level),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("binary runs");
        let mut server = Server {
            child,
            port,
            _dir: dir,
        };
        server.wait_ready();
        server
    }

    /// Polls `/readyz` until it answers 200 (at most a minute).
    fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let ready = TcpStream::connect(("127.0.0.1", self.port))
                .ok()
                .and_then(|s| {
                    exchange(
                        s,
                        b"GET /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                    )
                })
                .is_some_and(|answer| answer.starts_with("HTTP/1.1 200"));
            if ready {
                return;
            }
            assert!(
                self.child.try_wait().unwrap().is_none(),
                "the server exited"
            );
            assert!(Instant::now() < deadline, "the server did not get ready");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Sends `raw` on a connection of its own and reads the answer to the end.
    fn send(&self, raw: &[u8]) -> String {
        let stream = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        exchange(stream, raw).expect("an answer")
    }

    /// Stops the server and returns everything it logged.
    fn stop(mut self) -> String {
        let _ = self.child.kill();
        let mut log = String::new();
        if let Some(mut stderr) = self.child.stderr.take() {
            stderr.read_to_string(&mut log).unwrap();
        }
        let _ = self.child.wait();
        log
    }
}

fn exchange(mut stream: TcpStream, raw: &[u8]) -> Option<String> {
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    stream.write_all(raw).ok()?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).ok()?;
    Some(String::from_utf8_lossy(&answer).into_owned())
}

/// A control byte in a header value, and a length that is not a number.
fn send_malformed(server: &Server) {
    let bad_byte = server.send(b"GET / HTTP/1.1\r\nHost: x\r\nX-Bad: a\x01b\r\n\r\n");
    assert!(bad_byte.starts_with("HTTP/1.1 400"), "{bad_byte}");
    let bad_length =
        server.send(b"POST /status HTTP/1.1\r\nHost: x\r\nContent-Length: ten\r\n\r\n");
    assert!(bad_length.starts_with("HTTP/1.1 400"), "{bad_length}");
}

#[test]
fn malformed_requests_are_answered_without_an_error_in_the_log() {
    let server = Server::start("info");
    send_malformed(&server);
    let log = server.stop();
    assert!(
        log.contains("database ready"),
        "the log was captured: {log}"
    );
    assert!(!log.contains("ERROR"), "{log}");
    assert!(!log.contains("stream error"), "{log}");
}

#[test]
fn naming_actix_http_in_the_filter_brings_its_messages_back() {
    let server = Server::start("info,actix_http=error");
    send_malformed(&server);
    let log = server.stop();
    assert!(log.contains("stream error"), "{log}");
}
