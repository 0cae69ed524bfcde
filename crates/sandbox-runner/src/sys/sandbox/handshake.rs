//! What crosses the pipes between the parent, init and the program while a
//! sandbox is set up and run: the stage codes of the error pipe, the bytes
//! of the ready pipe and the program's status record. Plain data, encoded
//! and decoded without allocating, so the child can use it after the clone.

/// Declares [`Stage`] from one table: each step's code on the error pipe
/// and what it does, so the two cannot drift apart.
macro_rules! stages {
    ($($(#[$doc:meta])* $name:ident = $code:literal => $text:literal,)*) => {
        /// A step of the child's set-up, reported with its errno when it
        /// fails (the code is what crosses the error pipe).
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        #[repr(u32)]
        pub(crate) enum Stage {
            $($(#[$doc])* $name = $code,)*
        }

        impl Stage {
            /// What the step does, as in "could not …".
            pub(crate) fn text(self) -> &'static str {
                match self {
                    $(Self::$name => $text,)*
                }
            }
        }

        impl TryFrom<u32> for Stage {
            type Error = u32;

            fn try_from(code: u32) -> Result<Self, u32> {
                match code {
                    $($code => Ok(Self::$name),)*
                    other => Err(other),
                }
            }
        }
    };
}

stages! {
    Hostname = 2 => "set the hostname",
    PrivateMounts = 3 => "make mounts private",
    MountRoot = 4 => "mount the new root",
    PivotRoot = 5 => "pivot_root into the new root",
    DetachOldRoot = 6 => "detach the old root",
    RemountRoot = 7 => "remount the root read-only",
    Loopback = 8 => "bring up loopback",
    Fork = 9 => "fork the program",
    NotDumpable = 10 => "make init non-dumpable",
    BuildRoot = 11 => "build the new root",
    Rlimit = 20 => "set rlimits",
    Chdir = 21 => "enter the work dir",
    DropCapabilities = 22 => "drop capabilities",
    NoNewPrivs = 23 => "set no_new_privs",
    Landlock = 24 => "apply landlock",
    CloseDescriptors = 25 => "close inherited descriptors",
    Seccomp = 26 => "install seccomp",
    Exec = 27 => "execute the interpreter",
    SwitchUser = 28 => "switch to the sandbox user",
    JoinCgroup = 29 => "join the run's cgroup",
    ExecGate = 30 => "install the exec gate",
    TimeNamespace = 31 => "make the time namespace",
    Scratch = 32 => "remove the /proc views' sources",
    Routes = 33 => "add the routes that refuse the host's networks",
    Dns = 34 => "bind the sandbox's DNS socket",
    /// Mount number `n` of the plan is reported as `Mount + n`.
    Mount = 100 => "mount",
}

/// A reported step: a stage, or mount number `n` of the plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    Stage(Stage),
    Mount(usize),
    Unknown(u32),
}

impl From<Stage> for Step {
    fn from(stage: Stage) -> Self {
        Self::Stage(stage)
    }
}

impl Step {
    /// The step a code from the error pipe names.
    pub(crate) fn decode(code: u32) -> Self {
        match code.checked_sub(Stage::Mount as u32) {
            Some(n) => usize::try_from(n).map_or(Self::Unknown(code), Self::Mount),
            None => Stage::try_from(code).map_or(Self::Unknown(code), Self::Stage),
        }
    }

    /// The code the child writes for this step.
    pub(crate) fn code(self) -> u32 {
        match self {
            Self::Stage(stage) => stage as u32,
            Self::Mount(n) => u32::try_from(n)
                .ok()
                .and_then(|n| n.checked_add(Stage::Mount as u32))
                .unwrap_or(u32::MAX),
            Self::Unknown(code) => code,
        }
    }
}

/// A failed step and its errno, as the child writes it on the error pipe
/// before it exits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ErrorRecord {
    pub(crate) step: Step,
    pub(crate) errno: i32,
}

impl ErrorRecord {
    pub(crate) const SIZE: usize = 8;

    pub(crate) fn encode(self) -> [u8; Self::SIZE] {
        let mut record = [0u8; Self::SIZE];
        record[..4].copy_from_slice(&self.step.code().to_ne_bytes());
        record[4..].copy_from_slice(&self.errno.to_ne_bytes());
        record
    }

    pub(crate) fn decode(record: &[u8; Self::SIZE]) -> Self {
        let [a, b, c, d, e, f, g, h] = *record;
        Self {
            step: Step::decode(u32::from_ne_bytes([a, b, c, d])),
            errno: i32::from_ne_bytes([e, f, g, h]),
        }
    }
}

/// What init says on the ready pipe, in this order; the parent answers
/// each but the first with [`GO`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum Ready {
    /// With the network allowed, before anything else: the persistent
    /// network interface is made and released, so the helper may attach.
    Tap = b't',
    /// The program is forked and starts the interpreter: the parent opens
    /// the work dir through init's root while init is dumpable.
    Forked = b'r',
    /// Init has made itself non-dumpable.
    Hidden = b'd',
}

impl TryFrom<u8> for Ready {
    type Error = u8;

    fn try_from(byte: u8) -> Result<Self, u8> {
        [Self::Tap, Self::Forked, Self::Hidden]
            .into_iter()
            .find(|ready| *ready as u8 == byte)
            .ok_or(byte)
    }
}

/// The parent's byte on the go pipe: once the id maps are written, and
/// once it holds the work dir (after [`Ready::Forked`]).
pub(crate) const GO: u8 = b'g';

/// The program's end as the init process reports it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct ProgramStatus {
    pub(crate) wait_status: i32,
    pub(crate) cpu_us: u64,
    pub(crate) max_rss_kb: u64,
}

impl ProgramStatus {
    pub(crate) const SIZE: usize = 24;

    pub(crate) fn encode(self) -> [u8; Self::SIZE] {
        let mut record = [0u8; Self::SIZE];
        record[..8].copy_from_slice(&i64::from(self.wait_status).to_ne_bytes());
        record[8..16].copy_from_slice(&self.cpu_us.to_ne_bytes());
        record[16..].copy_from_slice(&self.max_rss_kb.to_ne_bytes());
        record
    }

    /// The record init wrote. A wait status out of range (never written by
    /// init) reads as death by `SIGKILL`.
    pub(crate) fn decode(bytes: &[u8; Self::SIZE]) -> Self {
        let word = |i: usize| {
            let mut b = [0u8; 8];
            b.copy_from_slice(&bytes[i * 8..i * 8 + 8]);
            b
        };
        Self {
            wait_status: i32::try_from(i64::from_ne_bytes(word(0))).unwrap_or(libc::SIGKILL),
            cpu_us: u64::from_ne_bytes(word(1)),
            max_rss_kb: u64::from_ne_bytes(word(2)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_stage_code_names_its_stage() {
        for code in 0..200u32 {
            let step = Step::decode(code);
            assert_eq!(step.code(), code, "{step:?}");
            match step {
                Step::Stage(stage) => {
                    assert_eq!(stage as u32, code);
                    assert!(!stage.text().is_empty());
                }
                Step::Mount(n) => assert_eq!(n, (code - 100) as usize),
                Step::Unknown(unknown) => assert_eq!(unknown, code),
            }
        }
        assert_eq!(
            Step::decode(Stage::Routes as u32),
            Step::Stage(Stage::Routes)
        );
        assert_eq!(Step::decode(103), Step::Mount(3));
        assert_eq!(Step::decode(1), Step::Unknown(1));
        assert_eq!(Step::Mount(usize::MAX).code(), u32::MAX);
    }

    #[test]
    fn records_survive_the_pipe() {
        for record in [
            ErrorRecord {
                step: Step::Stage(Stage::Seccomp),
                errno: libc::EPERM,
            },
            ErrorRecord {
                step: Step::Mount(7),
                errno: libc::ENOENT,
            },
        ] {
            assert_eq!(ErrorRecord::decode(&record.encode()), record);
        }
        let status = ProgramStatus {
            wait_status: 0x0100,
            cpu_us: 12_345,
            max_rss_kb: 9_876,
        };
        assert_eq!(ProgramStatus::decode(&status.encode()), status);
        let mut garbage = status.encode();
        garbage[..8].copy_from_slice(&i64::MAX.to_ne_bytes());
        assert_eq!(ProgramStatus::decode(&garbage).wait_status, libc::SIGKILL);
    }

    #[test]
    fn ready_bytes_are_distinct_and_decode() {
        for ready in [Ready::Tap, Ready::Forked, Ready::Hidden] {
            assert_eq!(Ready::try_from(ready as u8), Ok(ready));
            assert_ne!(ready as u8, GO);
        }
        assert_eq!(Ready::try_from(b'x'), Err(b'x'));
    }
}
