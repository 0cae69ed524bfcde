//! The network of a sandbox with `allow_network` (planned in
//! `sandbox_core::network`). The sandbox keeps a network namespace of its
//! own; slirp4netns, outside it, carries its TCP and UDP through ordinary
//! sockets of the host; init installs the routes that refuse the host's
//! ranges before the program starts; and a relay here answers the
//! sandbox's DNS queries (sent to its own loopback) from the host's
//! resolvers, on port 53 only.

use std::fs::File;
use std::io::{Read as _, Seek as _};
use std::net::{Ipv4Addr, SocketAddr};
use std::os::fd::{AsFd as _, AsRawFd as _, OwnedFd};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use ipnet::Ipv4Net;
use sandbox_core::SandboxError;
use sandbox_core::network::HELPER_CIDR;

/// The helper's program.
pub(crate) const HELPER: &str = "slirp4netns";
/// Where the helper is looked for: system directories only, never `PATH`
/// (a server's `PATH` may hold directories its users can write).
const HELPER_DIRS: &[&str] = &["/usr/bin", "/usr/local/bin", "/bin", "/usr/sbin", "/sbin"];
/// The interface the helper uses in the sandbox (a cold sandbox's init
/// makes it first, persistent).
pub(crate) const TAP: &str = "tap0";
/// Bytes of one route message (`nlmsghdr`, `rtmsg`, one `RTA_DST`).
pub(crate) const ROUTE_MESSAGE_BYTES: usize = 36;
/// Route messages sent before their acknowledgements are read.
pub(crate) const ROUTES_PER_BATCH: usize = 64;
/// DNS queries one sandbox may have in flight (each holds a socket of the
/// runner's); more are dropped (the resolver retries).
const QUERIES_IN_FLIGHT: usize = 8;
/// How long an upstream resolver has to answer.
const QUERY_TIMEOUT: Duration = Duration::from_secs(2);

/// The helper's path, or `None` when this machine has none.
pub(crate) fn helper() -> Option<&'static Path> {
    static FOUND: OnceLock<Option<PathBuf>> = OnceLock::new();
    FOUND
        .get_or_init(|| {
            HELPER_DIRS
                .iter()
                .map(|dir| Path::new(dir).join(HELPER))
                .find(|path| {
                    use std::os::unix::fs::PermissionsExt as _;
                    std::fs::metadata(path)
                        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
                })
        })
        .as_deref()
}

/// The helper, or the refusal of a run with the network allowed where it
/// cannot give the sandbox a network (it would otherwise share the
/// host's).
pub(crate) fn require_helper() -> Result<&'static Path, SandboxError> {
    let refused = |reason: String| SandboxError::Unsupported {
        feature: "network access in secure mode".into(),
        reason: format!(
            "it needs the user-mode network helper, looked for in {}: {reason}. \
             `sandbox doctor` shows what is there",
            HELPER_DIRS.join(", ")
        ),
    };
    super::probe::network_helper().map_err(refused)?;
    helper().ok_or_else(|| refused(format!("{HELPER} not found")))
}

/// The host's own IPv4 addresses, which a sandbox must not reach.
pub(crate) fn host_addresses() -> Vec<Ipv4Addr> {
    let Ok(addresses) = nix::ifaddrs::getifaddrs() else {
        return Vec::new();
    };
    let mut found: Vec<Ipv4Addr> = addresses
        .filter_map(|interface| interface.address)
        .filter_map(|address| {
            address
                .as_sockaddr_in()
                .map(nix::sys::socket::SockaddrIn::ip)
        })
        .collect();
    found.sort();
    found.dedup();
    found
}

/// `RTM_NEWROUTE` messages adding an `unreachable` route for each of
/// `refused`, [`ROUTE_MESSAGE_BYTES`] each, each asking for an
/// acknowledgement: what init sends on a `NETLINK_ROUTE` socket.
///
/// They replace a route of the same prefix: the helper sets its address
/// with ioctls, so for a moment the kernel holds a classful prefix route
/// (10.0.0.0/8) that the netmask then narrows to the helper's /24; ours
/// must win over it whichever comes first.
/// `NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE`, as the
/// header's `u16` flags.
const ROUTE_FLAGS: u16 = 0x0505;
/// [`ROUTE_MESSAGE_BYTES`] as the header's `u32` length.
const ROUTE_MESSAGE_LEN: u32 = 36;
/// `AF_INET` as `rtmsg`'s `u8` family.
const AF_INET: u8 = 2;

pub(crate) fn route_messages(refused: &[Ipv4Net]) -> Vec<u8> {
    const RTM_NEWROUTE: u16 = 24;
    const FLAGS: u16 = ROUTE_FLAGS;
    const RTA_DST: u16 = 1;
    let mut bytes = Vec::with_capacity(refused.len() * ROUTE_MESSAGE_BYTES);
    for (seq, net) in refused.iter().enumerate() {
        // nlmsghdr
        bytes.extend_from_slice(&ROUTE_MESSAGE_LEN.to_ne_bytes());
        bytes.extend_from_slice(&RTM_NEWROUTE.to_ne_bytes());
        bytes.extend_from_slice(&FLAGS.to_ne_bytes());
        // Sequence numbers only tell answers apart; they may wrap.
        let seq = u32::try_from(seq % (u32::MAX as usize)).unwrap_or(0) + 1;
        bytes.extend_from_slice(&seq.to_ne_bytes());
        bytes.extend_from_slice(&0u32.to_ne_bytes());
        // rtmsg: family, dst_len, src_len, tos, table, protocol, scope, type, flags
        bytes.extend_from_slice(&[
            AF_INET,
            net.prefix_len(),
            0,
            0,
            libc::RT_TABLE_MAIN,
            libc::RTPROT_STATIC,
            libc::RT_SCOPE_UNIVERSE,
            libc::RTN_UNREACHABLE,
        ]);
        bytes.extend_from_slice(&0u32.to_ne_bytes());
        // rtattr RTA_DST, the address in network order
        bytes.extend_from_slice(&8u16.to_ne_bytes());
        bytes.extend_from_slice(&RTA_DST.to_ne_bytes());
        bytes.extend_from_slice(&net.network().octets());
    }
    bytes
}

/// The helper attached to one sandbox's namespaces. Dropping it ends the
/// helper (closing its exit pipe, then killing and reaping it).
#[derive(Debug)]
pub(crate) struct Helper {
    child: Option<Child>,
    /// Closing this tells the helper to exit (`--exit-fd`); it also closes
    /// when the runner dies, so no helper outlives its runner.
    exit: Option<OwnedFd>,
    ready: OwnedFd,
    log: File,
}

impl Helper {
    /// Starts the helper on the network namespace of process `pid` (a
    /// sandbox's init), entering its user namespace. `alive` is checked
    /// after the namespaces are opened, so a reused pid is never entered.
    pub(crate) fn start(pid: i32, alive: impl Fn() -> bool) -> Result<Self, SandboxError> {
        let helper = require_helper()?;
        let failed = |what: &str| {
            let what = what.to_owned();
            move |e: std::io::Error| SandboxError::io(format!("start {HELPER}: {what}"), e)
        };
        let net =
            File::open(format!("/proc/{pid}/ns/net")).map_err(failed("open the namespace"))?;
        let user =
            File::open(format!("/proc/{pid}/ns/user")).map_err(failed("open the namespace"))?;
        if !alive() {
            return Err(SandboxError::io(
                format!("start {HELPER}"),
                std::io::Error::other("the sandbox ended first"),
            ));
        }
        let (ready_r, ready_w) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)
            .map_err(|e| failed("make a pipe")(e.into()))?;
        let (exit_r, exit_w) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)
            .map_err(|e| failed("make a pipe")(e.into()))?;
        let log = tempfile::tempfile().map_err(failed("make its log"))?;
        let inherited = [
            ready_w.as_raw_fd(),
            exit_r.as_raw_fd(),
            net.as_raw_fd(),
            user.as_raw_fd(),
        ];
        let mut command = Command::new(helper);
        command
            .arg("--configure")
            .arg("--mtu=65520")
            .arg(format!("--cidr={HELPER_CIDR}"))
            .arg("--disable-host-loopback")
            .arg("--enable-seccomp")
            .arg(format!("--ready-fd={}", inherited[0]))
            .arg(format!("--exit-fd={}", inherited[1]))
            .arg(format!("--userns-path=/proc/self/fd/{}", inherited[3]))
            .arg("--netns-type=path")
            .arg(format!("/proc/self/fd/{}", inherited[2]))
            .arg(TAP)
            // As root, the helper drops every capability but binding low
            // ports, in a mount namespace of its own, once it is set up;
            // otherwise it has the runner's own rights, and this option
            // (made for helpers started inside a user namespace) fails.
            .args(
                nix::unistd::geteuid()
                    .is_root()
                    .then_some("--enable-sandbox"),
            )
            .env_clear()
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log.try_clone().map_err(failed("make its log"))?);
        crate::sys::inherit_on_exec(&mut command, inherited.to_vec());
        let child = command.spawn().map_err(failed("run it"))?;
        drop((ready_w, exit_r, net, user));
        Ok(Self {
            child: Some(child),
            exit: Some(exit_w),
            ready: ready_r,
            log,
        })
    }

    /// Blocks until the helper says the sandbox's interface is up, or
    /// fails with what the helper said.
    pub(crate) fn wait_ready(&mut self, deadline: Instant) -> Result<(), SandboxError> {
        use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(self.failure("it did not bring up the interface in time"));
            }
            let mut fds = [PollFd::new(self.ready.as_fd(), PollFlags::POLLIN)];
            let timeout = PollTimeout::try_from(left).unwrap_or(PollTimeout::MAX);
            match poll(&mut fds, timeout) {
                Ok(0) | Err(nix::errno::Errno::EINTR) => continue,
                Ok(_) => break,
                Err(err) => return Err(SandboxError::io(format!("wait for {HELPER}"), err.into())),
            }
        }
        let mut byte = [0u8; 1];
        match nix::unistd::read(&self.ready, &mut byte) {
            Ok(1) => Ok(()),
            _ => Err(self.failure("it ended before the interface was up")),
        }
    }

    /// An error saying `what` and the end of the helper's log.
    fn failure(&mut self, what: &str) -> SandboxError {
        let status = self
            .child
            .as_mut()
            .and_then(|c| c.try_wait().ok().flatten())
            .map(|s| format!(" ({s})"))
            .unwrap_or_default();
        let mut log = String::new();
        let _ = self.log.rewind();
        let _ = (&self.log).take(64 << 10).read_to_string(&mut log);
        let tail: Vec<&str> = log.lines().rev().take(3).collect();
        let said = if tail.is_empty() {
            String::new()
        } else {
            let tail: Vec<&str> = tail.into_iter().rev().collect();
            format!("; it said: {}", tail.join(" / "))
        };
        SandboxError::io(
            format!("give the sandbox its network ({HELPER})"),
            std::io::Error::other(format!("{what}{status}{said}")),
        )
    }
}

impl Drop for Helper {
    /// Closes the exit pipe, kills the helper and reaps it on a thread of
    /// its own: the helper's end takes its interface down, which waits for
    /// the kernel (tens of milliseconds) and must not hold up the run.
    fn drop(&mut self) {
        drop(self.exit.take());
        let Some(mut child) = self.child.take() else {
            return;
        };
        let _ = child.kill();
        // Counted, so that a process that ran code waits for it before it
        // exits (`wait_for_cleanup`): nothing is left behind.
        let tail = super::session::Tail::start();
        type Slot = std::sync::Mutex<Option<(Child, super::session::Tail)>>;
        let reap = |slot: &Slot| {
            let taken = slot
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .take();
            if let Some((mut child, _tail)) = taken {
                let _ = child.wait();
            }
        };
        let slot = Arc::new(Slot::new(Some((child, tail))));
        let theirs = slot.clone();
        let spawned = std::thread::Builder::new()
            .name("network-helper-reap".into())
            .spawn(move || reap(&theirs));
        if spawned.is_err() {
            reap(&slot);
        }
    }
}

/// A sandbox's network as the runner holds it: the helper and the DNS
/// relay, both ended when this is dropped.
#[derive(Debug)]
pub(crate) struct Link {
    _helper: Helper,
    relay: tokio::task::JoinHandle<()>,
}

impl Link {
    /// Waits for `helper` and starts the relay for the sandbox's DNS
    /// socket (bound to its loopback, port 53).
    pub(crate) async fn establish(
        mut helper: Helper,
        dns: OwnedFd,
        deadline: Instant,
    ) -> Result<Self, SandboxError> {
        let helper = crate::blocking(move || helper.wait_ready(deadline).map(|()| helper)).await?;
        let socket = std::net::UdpSocket::from(dns);
        socket
            .set_nonblocking(true)
            .map_err(|e| SandboxError::io("start the DNS relay", e))?;
        let socket = tokio::net::UdpSocket::from_std(socket)
            .map_err(|e| SandboxError::io("start the DNS relay", e))?;
        let relay = tokio::spawn(relay(socket, Arc::from(upstreams())));
        Ok(Self {
            _helper: helper,
            relay,
        })
    }
}

impl Drop for Link {
    fn drop(&mut self) {
        self.relay.abort();
    }
}

/// The host's resolvers, as its `resolv.conf` lists them (three at most,
/// as glibc reads them); glibc's default, the local resolver, without one.
fn upstreams() -> Vec<SocketAddr> {
    let text = std::fs::read_to_string("/etc/resolv.conf").unwrap_or_default();
    let mut found = parse_nameservers(&text);
    if found.is_empty() {
        found.push(SocketAddr::from((Ipv4Addr::LOCALHOST, 53)));
    }
    found
}

/// The `nameserver` lines of a `resolv.conf` text, port 53.
fn parse_nameservers(text: &str) -> Vec<SocketAddr> {
    text.lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            (words.next()? == "nameserver").then_some(())?;
            let address = words.next()?;
            // A scoped IPv6 address (`fe80::1%eth0`) is left out.
            address.parse::<std::net::IpAddr>().ok()
        })
        .take(3)
        .map(|ip| SocketAddr::new(ip, 53))
        .collect()
}

/// Answers queries arriving on `socket` from `upstreams`, one task per
/// query, at most [`QUERIES_IN_FLIGHT`] at once.
async fn relay(socket: tokio::net::UdpSocket, upstreams: Arc<[SocketAddr]>) {
    let socket = Arc::new(socket);
    let mut queries = tokio::task::JoinSet::new();
    let mut buffer = vec![0u8; 4096];
    loop {
        let Ok((length, client)) = socket.recv_from(&mut buffer).await else {
            return;
        };
        while queries.try_join_next().is_some() {}
        // A DNS header is 12 bytes; a query has the response bit clear.
        if length < 12 || buffer[2] & 0x80 != 0 || queries.len() >= QUERIES_IN_FLIGHT {
            continue;
        }
        let query = buffer[..length].to_vec();
        let (socket, upstreams) = (socket.clone(), upstreams.clone());
        queries.spawn(async move {
            if let Some(answer) = ask(&upstreams, &query).await {
                let _ = socket.send_to(&answer, client).await;
            }
        });
    }
}

/// The first answer to `query` from `upstreams`, tried in order.
async fn ask(upstreams: &[SocketAddr], query: &[u8]) -> Option<Vec<u8>> {
    for upstream in upstreams {
        let local: SocketAddr = if upstream.is_ipv4() {
            (Ipv4Addr::UNSPECIFIED, 0).into()
        } else {
            (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
        };
        let Ok(socket) = tokio::net::UdpSocket::bind(local).await else {
            continue;
        };
        if socket.connect(upstream).await.is_err() || socket.send(query).await.is_err() {
            continue;
        }
        let mut answer = vec![0u8; 65535];
        let deadline = tokio::time::Instant::now() + QUERY_TIMEOUT;
        while let Ok(Ok(length)) = tokio::time::timeout_at(deadline, socket.recv(&mut answer)).await
        {
            // The same id, and the response bit set.
            if length >= 12 && answer[..2] == query[..2] && answer[2] & 0x80 != 0 {
                answer.truncate(length);
                return Some(answer);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_header_constants_are_libc_s() {
        assert_eq!(
            i32::from(ROUTE_FLAGS),
            libc::NLM_F_REQUEST | libc::NLM_F_ACK | libc::NLM_F_CREATE | libc::NLM_F_REPLACE
        );
        assert_eq!(ROUTE_MESSAGE_LEN as usize, ROUTE_MESSAGE_BYTES);
        assert_eq!(i32::from(AF_INET), libc::AF_INET);
    }

    #[test]
    fn route_messages_are_fixed_size_netlink_requests() {
        let nets: Vec<Ipv4Net> = ["10.0.0.0/8", "10.0.2.3/32"]
            .iter()
            .map(|n| n.parse().unwrap())
            .collect();
        let bytes = route_messages(&nets);
        assert_eq!(bytes.len(), 2 * ROUTE_MESSAGE_BYTES);
        let second = &bytes[ROUTE_MESSAGE_BYTES..];
        assert_eq!(
            u32::from_ne_bytes(second[..4].try_into().unwrap()) as usize,
            ROUTE_MESSAGE_BYTES
        );
        assert_eq!(second[17], 32, "prefix length");
        assert_eq!(second[23], libc::RTN_UNREACHABLE);
        assert_eq!(&second[32..], &[10, 0, 2, 3]);
    }

    #[test]
    fn nameservers_are_read_as_glibc_reads_them() {
        let text = "# comment\nsearch example\nnameserver 10.255.255.53\nnameserver ::1\n\
                    nameserver fe80::1%eth0\nnameserver bogus\nnameserver 1.1.1.1\nnameserver 8.8.8.8\n";
        let found = parse_nameservers(text);
        assert_eq!(
            found,
            vec![
                "10.255.255.53:53".parse().unwrap(),
                "[::1]:53".parse().unwrap(),
                "1.1.1.1:53".parse().unwrap(),
            ]
        );
    }

    /// A query through the relay reaches a resolver and its answer comes
    /// back to the asker; a reply with another id is not passed on.
    #[tokio::test]
    async fn the_relay_carries_a_query_and_its_answer() {
        let resolver = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let upstream = resolver.local_addr().unwrap();
        tokio::spawn(async move {
            let mut buffer = [0u8; 512];
            loop {
                let (n, from) = resolver.recv_from(&mut buffer).await.unwrap();
                let mut wrong = buffer[..n].to_vec();
                wrong[0] ^= 0xff;
                wrong[2] |= 0x80;
                resolver.send_to(&wrong, from).await.unwrap();
                let mut answer = buffer[..n].to_vec();
                answer[2] |= 0x80;
                answer.extend_from_slice(b"answer");
                resolver.send_to(&answer, from).await.unwrap();
            }
        });
        let inner = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let relay_at = inner.local_addr().unwrap();
        let task = tokio::spawn(relay(inner, Arc::from(vec![upstream])));
        let client = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let query = [0x12, 0x34, 0x01, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 2, 3];
        client.send_to(&query, relay_at).await.unwrap();
        let mut buffer = [0u8; 512];
        let (n, _) = tokio::time::timeout(Duration::from_secs(5), client.recv_from(&mut buffer))
            .await
            .expect("an answer in time")
            .unwrap();
        assert_eq!(&buffer[..2], &[0x12, 0x34]);
        assert!(buffer[..n].ends_with(b"answer"));
        task.abort();
    }
}
