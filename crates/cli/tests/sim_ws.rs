//! `otaflash sim … --ws`: the browser e2e transport. One device shared by successive
//! connections (state survives a close/re-open), the newest connection wins, raw bytes in
//! binary frames, and the state file follows along.

mod common;

use std::io::{BufRead as _, BufReader};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{read_json, TestResult, BIN};
use tungstenite::stream::MaybeTlsStream;
use tungstenite::{Message, WebSocket};

type Ws = WebSocket<MaybeTlsStream<TcpStream>>;

struct WsSim {
    child: Child,
    url: String,
    dir: tempfile::TempDir,
}

impl Drop for WsSim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start() -> TestResult<WsSim> {
    let dir = tempfile::tempdir()?;
    let mut child = Command::new(BIN)
        .args(["sim", "module", "--ws", "127.0.0.1:0", "--state-out"])
        .arg(dir.path().join("state.json"))
        .stdout(Stdio::piped())
        .spawn()?;
    let mut line = String::new();
    BufReader::new(child.stdout.take().ok_or("no stdout")?).read_line(&mut line)?;
    let url = line
        .trim()
        .strip_prefix("listening ")
        .ok_or(format!("unexpected first line {line:?}"))?
        .to_owned();
    Ok(WsSim { child, url, dir })
}

/// Sends `command` and collects reply bytes until `OK\r\n`.
fn ask(ws: &mut Ws, command: &str) -> TestResult<String> {
    ws.send(Message::Binary(command.as_bytes().to_vec()))?;
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut reply = Vec::new();
    while !String::from_utf8_lossy(&reply).contains("OK\r\n") {
        if Instant::now() > deadline {
            return Err(format!(
                "no OK to {command:?}, got {:?}",
                String::from_utf8_lossy(&reply)
            )
            .into());
        }
        if let Message::Binary(bytes) = ws.read()? {
            reply.extend_from_slice(&bytes);
        }
    }
    Ok(String::from_utf8_lossy(&reply).into_owned())
}

#[test]
fn state_survives_reconnects_and_the_newest_connection_wins() -> TestResult {
    let sim = start()?;
    let (mut first, _) = tungstenite::connect(sim.url.as_str())?;
    assert!(ask(&mut first, "AT\r\n")?.contains("OK"));
    first.close(None)?;
    drop(first);

    let (mut second, _) = tungstenite::connect(sim.url.as_str())?;
    assert!(ask(&mut second, "ATE0\r\n")?.contains("OK"));
    let (mut third, _) = tungstenite::connect(sim.url.as_str())?;
    // Echo stayed off across connections: the reply does not repeat the command.
    let reply = ask(&mut third, "ATI\r\n")?;
    assert!(
        reply.contains("EC200U") && !reply.contains("ATI"),
        "{reply:?}"
    );
    // The older connection was closed by the server.
    let closed = loop {
        match second.read() {
            Ok(Message::Close(_)) | Err(_) => break true,
            Ok(_) => continue,
        }
    };
    assert!(closed);

    std::thread::sleep(Duration::from_millis(200));
    let state = read_json(&sim.dir.path().join("state.json"))?;
    assert_eq!(
        state["commands"],
        serde_json::json!(["AT", "ATE0", "ATI"]),
        "{state}"
    );
    assert_eq!(state["echo"], false);
    Ok(())
}
