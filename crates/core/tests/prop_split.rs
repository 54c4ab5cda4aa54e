//! Property: what the core makes of a byte stream does not depend on how the stream was
//! cut into reads. Every transcript fixture and randomly generated valid exchanges are fed
//! whole and at random split points; the AT engine's events and outputs (and, for the MCU
//! fixture, the programmer's transmissions and outcome) must be identical.

use otaflash_core::at::engine::URC_PREFIXES;
use otaflash_core::at::{AtEngine, AtEvent, FinalResult, Request};
use otaflash_core::image::FlashImage;
use otaflash_core::stm32::{EntrySequence, Programmer, Stm32Config};
use otaflash_core::transcript::{self, Dir, Record};
use otaflash_core::{Duration, Event, Instant, Outbox, Output, PortId};
use proptest::prelude::*;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

fn fixture(name: &str) -> Vec<Record> {
    let path = format!("{FIXTURES}/{name}");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    transcript::parse(&text).unwrap_or_else(|e| panic!("{path}: {e:?}"))
}

/// Cuts `bytes` into chunks whose sizes cycle through `sizes` (all ≥ 1).
fn chunks<'a>(bytes: &'a [u8], sizes: &[usize]) -> Vec<&'a [u8]> {
    let mut out = Vec::new();
    let mut rest = bytes;
    let mut i = 0;
    while !rest.is_empty() {
        let n = sizes
            .get(i % sizes.len().max(1))
            .copied()
            .unwrap_or(usize::MAX);
        let (head, tail) = rest.split_at(n.clamp(1, rest.len()));
        out.push(head);
        rest = tail;
        i += 1;
    }
    out
}

/// One step of a module-port replay.
enum Step {
    /// The host sends this command line at this time.
    Send(Instant, String),
    /// The module sends these bytes at this time.
    Receive(Instant, Vec<u8>),
}

/// Module records as alternating sends and received stretches (consecutive rx merged).
fn module_steps(records: &[Record]) -> Vec<Step> {
    let mut steps: Vec<Step> = Vec::new();
    for r in records.iter().filter(|r| r.port == PortId::Module) {
        match (r.dir, steps.last_mut()) {
            (Dir::Rx, Some(Step::Receive(_, bytes))) => bytes.extend_from_slice(&r.bytes),
            (Dir::Rx, _) => steps.push(Step::Receive(r.at, r.bytes.clone())),
            (Dir::Tx, _) => {
                let line = String::from_utf8_lossy(&r.bytes)
                    .trim_end_matches(['\r', '\n'])
                    .to_owned();
                steps.push(Step::Send(r.at, line));
            }
        }
    }
    steps
}

fn request(line: &str) -> Request {
    let payload_limit = line
        .strip_prefix("AT+QIOTOTARD=")
        .and_then(|args| args.split_once(','))
        .and_then(|(_, n)| n.parse().ok());
    Request {
        line: line.to_owned(),
        timeout: Duration::secs(3),
        attempts: 1,
        payload_limit,
        prompt: None,
    }
}

/// Everything the engine produced, in order.
#[derive(Debug, PartialEq)]
enum Seen {
    At(AtEvent),
    Out(Output),
}

/// Replays `steps` through a fresh engine, each received stretch cut by `sizes`.
fn replay_module(steps: &[Step], sizes: &[usize]) -> Vec<Seen> {
    let mut engine = AtEngine::new(str::to_owned);
    let mut out = Outbox::default();
    let mut seen = Vec::new();
    for step in steps {
        match step {
            Step::Send(at, line) => {
                seen.extend(engine.on_timeout(*at, &mut out).into_iter().map(Seen::At));
                engine.send(*at, request(line), &mut out);
            }
            Step::Receive(at, bytes) => {
                for chunk in chunks(bytes, sizes) {
                    seen.extend(
                        engine
                            .on_bytes(*at, chunk, &mut out)
                            .into_iter()
                            .map(Seen::At),
                    );
                }
            }
        }
        while let Some(o) = out.pop() {
            seen.push(Seen::Out(o));
        }
    }
    seen
}

/// The MCU fixture replayed into a programmer flashing its 16-byte image: transmissions,
/// warnings and the outcome (rx transcript records mirror the chunks, so they are left out).
fn replay_mcu(records: &[Record], sizes: &[usize]) -> (Vec<Output>, String) {
    let data = [
        0x00, 0x50, 0x00, 0x20, 0x01, 0x01, 0x00, 0x08, 0xDE, 0xAD, 0xBE, 0xEF, 0x01, 0x02, 0x03,
        0x04,
    ];
    let image = FlashImage::from_bin(&data, 0x0800_0000).expect("constant image");
    let config = Stm32Config {
        entry: EntrySequence::None,
        ..Stm32Config::default()
    };
    let mut programmer = Programmer::new(image, config);
    let mut out = Outbox::default();
    programmer.start(Instant(0), &mut out);
    // The bootloader's answers between two host frames, in order (an answer to a frame
    // is never fed before that frame was sent).
    let mut rx: Vec<(Instant, Vec<u8>)> = Vec::new();
    let mut after_tx = true;
    for r in records.iter().filter(|r| r.port == PortId::Mcu) {
        match (r.dir, rx.last_mut()) {
            (Dir::Tx, _) => after_tx = true,
            (Dir::Rx, Some((_, bytes))) if !after_tx => bytes.extend_from_slice(&r.bytes),
            (Dir::Rx, _) => {
                rx.push((r.at, r.bytes.clone()));
                after_tx = false;
            }
        }
    }
    for (at, bytes) in &rx {
        for chunk in chunks(bytes, sizes) {
            programmer.on_received(*at, chunk, &mut out);
        }
    }
    let mut seen = Vec::new();
    while let Some(o) = out.pop() {
        let rx_record = matches!(&o, Output::Event(Event::Transcript(r)) if r.dir == Dir::Rx);
        if !rx_record {
            seen.push(o);
        }
    }
    (seen, format!("{:?}", programmer.outcome()))
}

fn sizes() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(1_usize..80, 1..40)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn module_fixtures_parse_identically_at_any_split(sizes in sizes()) {
        for name in ["seed000_sota.transcript", "seed001_fota.transcript"] {
            let steps = module_steps(&fixture(name));
            prop_assert_eq!(replay_module(&steps, &[usize::MAX]), replay_module(&steps, &sizes));
        }
    }

    #[test]
    fn the_mcu_fixture_drives_the_programmer_identically_at_any_split(sizes in sizes()) {
        let records = fixture("stm32/f103_16_bytes.transcript");
        prop_assert_eq!(replay_mcu(&records, &[usize::MAX]), replay_mcu(&records, &sizes));
    }
}

#[test]
fn the_mcu_fixture_replay_is_faithful() {
    let (outputs, outcome) = replay_mcu(&fixture("stm32/f103_16_bytes.transcript"), &[1]);
    assert!(outcome.starts_with("Some(Ok("), "{outcome}");
    assert!(outputs.iter().any(|o| matches!(o, Output::Transmit { .. })));
}

/// A generated exchange: a command, its echo, information lines, URCs in between, an
/// optional `+QIOTOTARD` binary payload and a final result.
#[derive(Debug, Clone)]
struct Exchange {
    echo: bool,
    info: Vec<String>,
    urcs_before: Vec<String>,
    payload: Option<Vec<u8>>,
    result: u8,
}

fn exchange() -> impl Strategy<Value = Exchange> {
    let text = "[A-Za-z0-9 ,\"+:_.=-]{1,40}".prop_filter("not a result code", |s| {
        let t = s.trim();
        !t.is_empty()
            && t != "OK"
            && t != "ERROR"
            && !t.starts_with("+CME ERROR:")
            && !t.starts_with("+QIOTOTARD:")
            && !t.starts_with('>')
            && !t.starts_with("AT")
            && !URC_PREFIXES.iter().any(|p| t.starts_with(p))
    });
    let urc = (1_u16..8, 10_000_u32..10_800).prop_map(|(k, c)| format!("+QIOTEVT: {k},{c}"));
    (
        any::<bool>(),
        prop::collection::vec(text, 0..3),
        prop::collection::vec(urc, 0..2),
        prop::option::of(prop::collection::vec(any::<u8>(), 1..300)),
        0_u8..3,
    )
        .prop_map(|(echo, info, urcs_before, payload, result)| Exchange {
            echo,
            info,
            urcs_before,
            payload,
            result,
        })
}

impl Exchange {
    fn line(&self, i: usize) -> String {
        match &self.payload {
            Some(p) => format!("AT+QIOTOTARD={},{}", i * 1024, p.len()),
            None => format!("AT+QTEST={i}"),
        }
    }

    fn wire(&self, i: usize) -> Vec<u8> {
        let mut w = Vec::new();
        if self.echo {
            w.extend_from_slice(format!("{}\r\r\n", self.line(i)).as_bytes());
        }
        for urc in &self.urcs_before {
            w.extend_from_slice(format!("\r\n{urc}\r\n").as_bytes());
        }
        for line in &self.info {
            w.extend_from_slice(format!("\r\n{line}\r\n").as_bytes());
        }
        if let Some(p) = &self.payload {
            w.extend_from_slice(format!("\r\n+QIOTOTARD: {},{}\r\n", i * 1024, p.len()).as_bytes());
            w.extend_from_slice(p);
            w.extend_from_slice(b"\r\n");
        }
        let result: &[u8] = match self.result {
            0 => b"\r\nOK\r\n",
            1 => b"\r\nERROR\r\n",
            _ => b"\r\n+CME ERROR: 50\r\n",
        };
        w.extend_from_slice(result);
        w
    }
}

fn run_exchanges(exchanges: &[Exchange], sizes: &[usize]) -> Vec<Seen> {
    let steps: Vec<Step> = exchanges
        .iter()
        .enumerate()
        .flat_map(|(i, e)| {
            let at = Instant(u64::try_from(i).unwrap_or(0) * 100);
            [Step::Send(at, e.line(i)), Step::Receive(at, e.wire(i))]
        })
        .collect();
    replay_module(&steps, sizes)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn random_exchanges_parse_identically_at_any_split_and_keep_payloads_exact(
        exchanges in prop::collection::vec(exchange(), 1..12),
        sizes in sizes(),
    ) {
        let whole = run_exchanges(&exchanges, &[usize::MAX]);
        prop_assert_eq!(&whole, &run_exchanges(&exchanges, &sizes));
        prop_assert_eq!(&whole, &run_exchanges(&exchanges, &[1]));
        let replies: Vec<_> = whole
            .iter()
            .filter_map(|s| match s {
                Seen::At(AtEvent::Reply(r)) => Some(r),
                _ => None,
            })
            .collect();
        prop_assert_eq!(replies.len(), exchanges.len());
        for (reply, e) in replies.iter().zip(&exchanges) {
            prop_assert_eq!(&reply.payload, &e.payload);
            let want = match e.result {
                0 => FinalResult::Ok,
                1 => FinalResult::Error,
                _ => FinalResult::CmeError(50),
            };
            prop_assert_eq!(&reply.result, &want);
        }
        let urcs = whole.iter().filter(|s| matches!(s, Seen::At(AtEvent::Urc(_)))).count();
        prop_assert_eq!(urcs, exchanges.iter().map(|e| e.urcs_before.len()).sum::<usize>());
    }
}
