//! SIGINT and SIGTERM for one-shot commands that run syncs: the first asks
//! the work to stop after the page being committed (the run is recorded as
//! interrupted and the command says how to resume); a second one quits at
//! once. The exit code is then 130 (SIGINT) or 143 (SIGTERM).

use std::process::ExitCode;
use std::sync::{Arc, OnceLock};

use holdfast_engine::schedule::CancellationToken;

/// Which signal asked to stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Signal {
    /// Ctrl-C.
    Int,
    /// `kill` (a service manager's stop).
    Term,
}

impl Signal {
    /// `SIGINT` or `SIGTERM`.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Signal::Int => "SIGINT",
            Signal::Term => "SIGTERM",
        }
    }

    /// The shell's convention: 128 + the signal's number.
    pub(crate) fn code(self) -> u8 {
        match self {
            Signal::Int => 130,
            Signal::Term => 143,
        }
    }

    /// [`Signal::code`] as an exit code.
    pub(crate) fn exit_code(self) -> ExitCode {
        ExitCode::from(self.code())
    }
}

/// Listens for SIGINT and SIGTERM while a command runs.
#[derive(Clone)]
pub(crate) struct Interrupt {
    stop: CancellationToken,
    received: Arc<OnceLock<Signal>>,
}

impl Interrupt {
    /// Starts listening (the signals no longer end the process by
    /// themselves): the first cancels [`Interrupt::token`], a second one
    /// exits at once.
    pub(crate) fn listen() -> Interrupt {
        let interrupt = Interrupt {
            stop: CancellationToken::new(),
            received: Arc::new(OnceLock::new()),
        };
        let this = interrupt.clone();
        tokio::spawn(async move {
            let Some(mut signals) = Signals::new() else {
                return;
            };
            while let Some(signal) = signals.next().await {
                if this.received.get().is_some() {
                    say(&format!(
                        "holdfast: {} again: quitting now (each run stays interrupted at its last \
                         committed page)",
                        signal.name()
                    ));
                    std::process::exit(i32::from(signal.code()));
                }
                let _ = this.received.set(signal);
                say(&format!(
                    "holdfast: {} received: finishing the page being written, then stopping \
                     (send it again to quit at once)",
                    signal.name()
                ));
                this.stop.cancel();
            }
        });
        interrupt
    }

    /// Cancelled by the first signal.
    pub(crate) fn token(&self) -> &CancellationToken {
        &self.stop
    }

    /// The first signal received, if any.
    pub(crate) fn received(&self) -> Option<Signal> {
        self.received.get().copied()
    }
}

/// One line on stderr; a closed stderr is not an error here.
fn say(line: &str) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr(), "{line}");
}

/// SIGINT and SIGTERM as they arrive.
struct Signals {
    #[cfg(unix)]
    int: tokio::signal::unix::Signal,
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
}

impl Signals {
    /// Listens to both; `None` when that is not possible.
    fn new() -> Option<Signals> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Some(Signals {
                int: signal(SignalKind::interrupt()).ok()?,
                term: signal(SignalKind::terminate()).ok()?,
            })
        }
        #[cfg(not(unix))]
        Some(Signals {})
    }

    /// The next one; `None` when listening ended.
    async fn next(&mut self) -> Option<Signal> {
        #[cfg(unix)]
        {
            tokio::select! {
                s = self.int.recv() => s.map(|()| Signal::Int),
                s = self.term.recv() => s.map(|()| Signal::Term),
            }
        }
        #[cfg(not(unix))]
        tokio::signal::ctrl_c().await.ok().map(|()| Signal::Int)
    }
}
