//! Init's network stage: loopback up, and with the network allowed the
//! helper's persistent interface, the routes that refuse the host's
//! networks and the DNS socket the parent's relay serves.

use libc::{c_char, c_int, c_short};

use super::handshake::Stage;
use super::raw::{EXIT_SETUP, check, close, dup2, errno, fail, open, set_errno};
use super::{ChildSpec, FD_DNS};
use crate::secure::network::{ROUTE_MESSAGE_BYTES, ROUTES_PER_BATCH, TAP};

/// `IFF_UP | IFF_RUNNING`, as `ifreq`'s short flags.
const UP_AND_RUNNING: c_short = 0x41;
/// `IFF_TAP | IFF_NO_PI`, the flags the helper asks for when it attaches.
const TAP_NO_PI: c_short = 0x1002;

/// Brings up loopback, then (with the network allowed) adds the refusing
/// routes and binds the DNS socket.
pub(super) fn configure(spec: &ChildSpec) {
    loopback_up();
    if let Some(routes) = &spec.routes {
        add_routes(routes);
        bind_dns();
    }
}

/// An `ifreq` naming `name` (at most `IFNAMSIZ - 1` bytes; the rest stays
/// zero).
fn ifreq(name: &[u8], flags: c_short) -> libc::ifreq {
    let mut request = libc::ifreq {
        ifr_name: [0; libc::IFNAMSIZ],
        ifr_ifru: libc::__c_anonymous_ifr_ifru { ifru_flags: flags },
    };
    for (dst, src) in request.ifr_name[..libc::IFNAMSIZ - 1].iter_mut().zip(name) {
        *dst = c_char::from_ne_bytes([*src]);
    }
    request
}

fn loopback_up() {
    let request = ifreq(b"lo", UP_AND_RUNNING);
    // SAFETY: creates a socket; no memory is touched.
    let sock = unsafe { libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0) };
    check(sock, Stage::Loopback);
    // SAFETY: SIOCSIFFLAGS reads the `ifreq` local.
    check(
        unsafe { libc::ioctl(sock, libc::SIOCSIFFLAGS, &raw const request) },
        Stage::Loopback,
    );
    close(sock);
}

/// Makes the network helper's interface in init's new network namespace,
/// persistent, before the parent starts the helper (which attaches to it):
/// a device the helper made itself would be removed when the helper exits,
/// and that waits for the kernel (tens of milliseconds) at the end of every
/// run. A persistent one goes with the namespace, in the kernel's own time.
/// Best effort: without it the helper makes its own.
pub(super) fn persistent_tap() {
    const TUNSETIFF: libc::c_ulong = 0x4004_54ca;
    const TUNSETPERSIST: libc::c_ulong = 0x4004_54cb;
    let fd = open(c"/dev/net/tun", libc::O_RDWR);
    if fd < 0 {
        return;
    }
    let request = ifreq(TAP.as_bytes(), TAP_NO_PI);
    // SAFETY: TUNSETIFF reads the `ifreq` local.
    if unsafe { libc::ioctl(fd, TUNSETIFF, &raw const request) } == 0 {
        // SAFETY: TUNSETPERSIST takes an integer.
        unsafe { libc::ioctl(fd, TUNSETPERSIST, 1 as libc::c_ulong) };
    }
    close(fd);
}

/// Sends `messages` (whole route requests, each asking for an
/// acknowledgement) on a `NETLINK_ROUTE` socket in batches, and fails the
/// stage with the kernel's errno if any is refused.
fn add_routes(messages: &[u8]) {
    // SAFETY: creates a socket; no memory is touched.
    let sock = unsafe {
        libc::socket(
            libc::AF_NETLINK,
            libc::SOCK_RAW | libc::SOCK_CLOEXEC,
            libc::NETLINK_ROUTE,
        )
    };
    check(sock, Stage::Routes);
    for batch in messages.chunks(ROUTE_MESSAGE_BYTES * ROUTES_PER_BATCH) {
        // SAFETY: sends from a live slice within its bounds.
        let sent = unsafe { libc::send(sock, batch.as_ptr().cast(), batch.len(), 0) };
        if usize::try_from(sent).ok() != Some(batch.len()) {
            fail(Stage::Routes, EXIT_SETUP);
        }
        let mut awaited = batch.len() / ROUTE_MESSAGE_BYTES;
        let mut buffer = [0u8; 4096];
        while awaited > 0 {
            // SAFETY: receives into a live stack buffer within its bounds.
            let n = unsafe { libc::recv(sock, buffer.as_mut_ptr().cast(), buffer.len(), 0) };
            let received = match usize::try_from(n) {
                Ok(n) if n > 0 => &buffer[..n],
                _ if n == -1 && errno() == libc::EINTR => continue,
                _ => fail(Stage::Routes, EXIT_SETUP),
            };
            match acknowledged(received) {
                Ok(count) => awaited = awaited.saturating_sub(count),
                Err(refused) => {
                    set_errno(refused);
                    fail(Stage::Routes, EXIT_SETUP);
                }
            }
        }
    }
    close(sock);
}

/// How many requests the netlink answers in `received` acknowledge, or the
/// errno of the first refused one.
fn acknowledged(received: &[u8]) -> Result<usize, c_int> {
    let word = |i: usize| {
        [
            received[i],
            received[i + 1],
            received[i + 2],
            received[i + 3],
        ]
    };
    let mut count = 0;
    let mut at = 0;
    // Each answer: nlmsghdr (length, type, ...), and for NLMSG_ERROR an
    // errno (0 acknowledges).
    while at + 20 <= received.len() {
        let length = u32::from_ne_bytes(word(at)) as usize;
        let kind = u16::from_ne_bytes([received[at + 4], received[at + 5]]);
        if c_int::from(kind) == libc::NLMSG_ERROR {
            let errno = i32::from_ne_bytes(word(at + 16));
            if errno != 0 {
                return Err(errno.saturating_neg());
            }
            count += 1;
        }
        if length < 16 {
            break;
        }
        at += (length + 3) & !3;
    }
    Ok(count)
}

/// Binds the sandbox's DNS socket on its loopback, at [`FD_DNS`], where the
/// parent takes a copy for its relay.
fn bind_dns() {
    // SAFETY: creates a socket; no memory is touched.
    let sock = unsafe { libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0) };
    check(sock, Stage::Dns);
    let address = libc::sockaddr_in {
        sin_family: AF_INET,
        sin_port: 53u16.to_be(),
        sin_addr: libc::in_addr {
            s_addr: u32::from_ne_bytes(sandbox_core::network::RELAY_ADDRESS.octets()),
        },
        sin_zero: [0; 8],
    };
    // SAFETY: reads the `sockaddr_in` local, of the size given.
    let bound = unsafe { libc::bind(sock, (&raw const address).cast(), SOCKADDR_IN_SIZE) };
    check(bound, Stage::Dns);
    check(dup2(sock, FD_DNS), Stage::Dns);
    close(sock);
}

/// `AF_INET` as a `sa_family_t`.
const AF_INET: libc::sa_family_t = 2;
/// `size_of::<sockaddr_in>()` (16 bytes) as a `socklen_t`.
const SOCKADDR_IN_SIZE: libc::socklen_t = 16;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_flag_constants_are_libc_s() {
        assert_eq!(
            c_int::from(UP_AND_RUNNING),
            libc::IFF_UP | libc::IFF_RUNNING
        );
        assert_eq!(c_int::from(TAP_NO_PI), libc::IFF_TAP | libc::IFF_NO_PI);
        assert_eq!(c_int::from(AF_INET), libc::AF_INET);
        assert_eq!(
            SOCKADDR_IN_SIZE as usize,
            std::mem::size_of::<libc::sockaddr_in>()
        );
    }

    #[test]
    fn interface_names_are_cut_to_fit() {
        let request = ifreq(b"lo", 0);
        assert_eq!(request.ifr_name[..3], [108, 111, 0]);
        let long = ifreq(&[b'x'; 40], 0);
        assert_eq!(long.ifr_name[libc::IFNAMSIZ - 1], 0);
    }

    #[test]
    fn netlink_answers_are_counted_and_refusals_named() {
        let answer = |errno: i32| {
            let mut message = vec![0u8; 36];
            message[..4].copy_from_slice(&36u32.to_ne_bytes());
            message[4..6].copy_from_slice(&u16::try_from(libc::NLMSG_ERROR).unwrap().to_ne_bytes());
            message[16..20].copy_from_slice(&errno.to_ne_bytes());
            message
        };
        let mut two = answer(0);
        two.extend(answer(0));
        assert_eq!(acknowledged(&two), Ok(2));
        let mut refused = answer(0);
        refused.extend(answer(-libc::EEXIST));
        assert_eq!(acknowledged(&refused), Err(libc::EEXIST));
        assert_eq!(acknowledged(&[0u8; 10]), Ok(0));
        // A zero length ends the walk instead of looping.
        assert_eq!(acknowledged(&[0u8; 40]), Ok(0));
    }
}
