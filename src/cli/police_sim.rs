//! `internetwache police-sim`: a local police receiving end for tests and demos.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;

use crate::crypto::keys::load_private_key;
use crate::police_sim::{self, Mode, SimConfig};

#[derive(Debug, Args)]
pub struct PoliceSimArgs {
    /// Address to listen on (port 0 picks a free port; the port is printed).
    #[arg(long, default_value = "127.0.0.1:0")]
    pub bind: SocketAddr,
    /// The shared push secret of the state (`[police.<state>.delivery] secret`).
    #[arg(long, env = "POLICE_SIM_SECRET")]
    pub secret: String,
    /// The state's private key file (from `internetwache keys generate`).
    #[arg(long)]
    pub key: PathBuf,
    /// Where decrypted reports are written, one file per idempotency key.
    #[arg(long)]
    pub out: PathBuf,
    /// Initial failure mode: ok, fail503, slow, drop, bad_receipt, no_receipt.
    #[arg(long, default_value = "ok")]
    pub mode: Mode,
    /// Apply --mode to this many requests only, then answer normally.
    #[arg(long)]
    pub for_requests: Option<u64>,
    /// Delay of `slow` answers, in milliseconds.
    #[arg(long, default_value_t = 30_000)]
    pub slow_ms: u64,
}

pub fn run(args: PoliceSimArgs) -> ExitCode {
    crate::telemetry::init_logging(crate::config::LogFormat::Text, "warn");
    let key = match load_private_key(&args.key) {
        Ok(k) => k,
        Err(e) => {
            eprintln!("internetwache police-sim: {e}");
            return ExitCode::from(super::serve::EXIT_CONFIG);
        }
    };
    let config = SimConfig {
        secret: args.secret.into_bytes(),
        key,
        out: args.out,
        slow: Duration::from_millis(args.slow_ms),
    };
    super::serve::runtime().block_on(async move {
        let (sim, server) = match police_sim::start(args.bind, config) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("internetwache police-sim: {e}");
                return ExitCode::FAILURE;
            }
        };
        sim.set_mode(args.mode, args.for_requests);
        println!("police-sim listening on 127.0.0.1:{}", sim.port);
        match server.await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("internetwache police-sim: {e}");
                ExitCode::FAILURE
            }
        }
    })
}
