//! The network of a secure sandbox with `allow_network`, as data.
//!
//! The sandbox always has a network namespace of its own. With the network
//! allowed, a user-mode network helper (slirp4netns) outside it carries its
//! TCP and UDP out through ordinary sockets of the host. Those sockets
//! would reach whatever the host reaches, its loopback and private networks
//! included, so the sandbox's routing table refuses them first: every
//! range below, and every address of the host, has an `unreachable` route
//! inside the namespace, which the program (without `CAP_NET_ADMIN`) cannot
//! change. Names resolve through a relay on the sandbox's own loopback that
//! the runner answers from the host's resolvers, port 53 only.

use std::net::Ipv4Addr;

use ipnet::Ipv4Net;
use serde::Serialize;

/// Destinations refused by default, with the reason for each.
pub const REFUSED_RANGES: &[(Ipv4Net, &str)] = &[
    (
        net(0, 0, 0, 0, 8),
        "\"this host\": 0.0.0.0 is the helper's own machine",
    ),
    (net(10, 0, 0, 0, 8), "private network (RFC 1918)"),
    (
        net(100, 64, 0, 0, 10),
        "shared address space: carrier-grade NAT, and cloud metadata services (100.100.100.200)",
    ),
    (net(127, 0, 0, 0, 8), "the host's loopback"),
    (
        net(169, 254, 0, 0, 16),
        "link-local: cloud metadata endpoints (169.254.169.254)",
    ),
    (net(172, 16, 0, 0, 12), "private network (RFC 1918)"),
    (net(192, 0, 0, 0, 24), "IETF protocol assignments"),
    (net(192, 168, 0, 0, 16), "private network (RFC 1918)"),
    (
        net(198, 18, 0, 0, 15),
        "benchmarking, used inside some networks",
    ),
    (net(224, 0, 0, 0, 4), "multicast"),
    (
        net(240, 0, 0, 0, 4),
        "reserved, and the limited broadcast address",
    ),
];

/// A network, checked when the constant is compiled.
const fn net(a: u8, b: u8, c: u8, d: u8, prefix: u8) -> Ipv4Net {
    Ipv4Net::new_assert(Ipv4Addr::new(a, b, c, d), prefix)
}

/// The helper's network inside the sandbox (slirp4netns' default).
pub const HELPER_CIDR: &str = "10.0.2.0/24";
/// The helper's gateway: it stands for the host's loopback, which the
/// helper is told to refuse (`--disable-host-loopback`).
pub const HELPER_GATEWAY: Ipv4Addr = Ipv4Addr::new(10, 0, 2, 2);
/// The helper's DNS alias. It forwards *every* port to the host's first
/// resolver (or its loopback when that resolver is local), so it is refused
/// whatever the operator allows; the relay serves DNS instead.
pub const HELPER_DNS: Ipv4Addr = Ipv4Addr::new(10, 0, 2, 3);
/// The sandbox's resolver: the runner's DNS relay, on the sandbox's own
/// loopback (port 53).
pub const RELAY_ADDRESS: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 53);
/// Most entries in an allow-list.
pub const MAX_ALLOWED_NETWORKS: usize = 64;
/// Longest allow-list text, bytes.
const MAX_ALLOWED_TEXT: usize = 16 << 10;

/// The sandbox's `/etc/resolv.conf`: the relay, with EDNS so that answers
/// larger than 512 bytes still fit a datagram (the relay carries UDP only).
pub fn resolv_conf() -> String {
    format!("nameserver {RELAY_ADDRESS}\noptions edns0\n")
}

/// What the sandbox's network namespace refuses, and where it resolves
/// names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NetworkPlan {
    /// Destinations with an `unreachable` route, aggregated.
    pub refused: Vec<Ipv4Net>,
    /// The resolver the sandbox's `resolv.conf` names.
    pub nameserver: Ipv4Addr,
}

impl NetworkPlan {
    /// The default ranges and every address of the host (`host_addresses`,
    /// as /32s), minus what the operator `allowed`; the helper's DNS alias
    /// always.
    pub fn new(host_addresses: &[Ipv4Addr], allowed: &[Ipv4Net]) -> Self {
        let defaults = REFUSED_RANGES.iter().map(|(net, _)| *net);
        let hosts = host_addresses.iter().map(|a| Ipv4Net::from(*a));
        let mut refused = Vec::new();
        for range in defaults.chain(hosts) {
            subtract(range, allowed, &mut refused);
        }
        let mut refused = Ipv4Net::aggregate(&refused);
        // Apart: inside the helper's network (a link route more specific
        // than any range holding it), only its own route refuses it.
        refused.push(Ipv4Net::from(HELPER_DNS));
        Self {
            refused,
            nameserver: RELAY_ADDRESS,
        }
    }

    /// Whether `address` is refused.
    pub fn refuses(&self, address: Ipv4Addr) -> bool {
        self.refused.iter().any(|net| net.contains(&address))
    }
}

/// Pushes the parts of `range` outside every one of `holes`. Two prefixes
/// either nest or do not meet, so a range is kept whole, dropped whole, or
/// split in halves around a hole inside it (at most 32 levels deep).
fn subtract(range: Ipv4Net, holes: &[Ipv4Net], out: &mut Vec<Ipv4Net>) {
    if holes.iter().any(|hole| hole.contains(&range)) {
        return;
    }
    if !holes.iter().any(|hole| range.contains(hole)) {
        out.push(range);
        return;
    }
    if let Ok(halves) = range.subnets(range.prefix_len() + 1) {
        for half in halves {
            subtract(half, holes, out);
        }
    }
}

/// Parses an allow-list: IPv4 networks (`10.1.0.0/16`) or addresses (a
/// /32), separated by commas or spaces. The error names the entry.
///
/// # Errors
///
/// The offending entry and why, as text for the caller to place in its own
/// message.
pub fn parse_allowed(text: &str) -> Result<Vec<Ipv4Net>, String> {
    if text.len() > MAX_ALLOWED_TEXT {
        return Err(format!("longer than {MAX_ALLOWED_TEXT} bytes"));
    }
    let mut networks = Vec::new();
    for entry in text
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|e| !e.is_empty())
    {
        if networks.len() == MAX_ALLOWED_NETWORKS {
            return Err(format!("more than {MAX_ALLOWED_NETWORKS} networks"));
        }
        let shown: String = entry.chars().take(64).collect();
        let network = if let Ok(net) = entry.parse::<Ipv4Net>() {
            if net.trunc() != net {
                return Err(format!(
                    "`{shown}` has bits set past its prefix; did you mean `{}`?",
                    net.trunc()
                ));
            }
            net
        } else if let Ok(address) = entry.parse::<Ipv4Addr>() {
            Ipv4Net::from(address)
        } else if entry.contains(':') {
            return Err(format!(
                "`{shown}` is IPv6; sandboxes get IPv4 only, so only IPv4 networks can be allowed"
            ));
        } else {
            return Err(format!(
                "`{shown}` is not an IPv4 network (`10.1.0.0/16`) or address (`10.1.2.3`)"
            ));
        };
        networks.push(network);
    }
    Ok(networks)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn net(text: &str) -> Ipv4Net {
        text.parse().unwrap()
    }

    #[test]
    fn the_defaults_refuse_the_host_s_ranges_and_addresses() {
        let plan = NetworkPlan::new(&[Ipv4Addr::new(203, 0, 113, 5)], &[]);
        for refused in [
            "127.0.0.1",
            "10.1.2.3",
            "172.20.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.100.100.200",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "203.0.113.5",
            "10.0.2.3",
        ] {
            assert!(plan.refuses(refused.parse().unwrap()), "{refused}");
        }
        for reachable in ["1.1.1.1", "8.8.8.8", "203.0.113.6", "172.32.0.1"] {
            assert!(!plan.refuses(reachable.parse().unwrap()), "{reachable}");
        }
        assert_eq!(plan.nameserver, RELAY_ADDRESS);
    }

    #[test]
    fn an_allowed_network_opens_only_itself_and_never_the_helper_s_dns() {
        let plan = NetworkPlan::new(&[], &[]);
        assert_eq!(plan.refused.last(), Some(&net("10.0.2.3/32")));
        let plan = NetworkPlan::new(&[], &[net("10.77.0.0/24"), net("10.0.0.0/8")]);
        assert!(!plan.refuses("10.77.0.9".parse().unwrap()));
        assert!(!plan.refuses("10.200.0.1".parse().unwrap()));
        assert!(plan.refuses(HELPER_DNS));
        let plan = NetworkPlan::new(&[], &[net("192.168.77.1/32")]);
        assert!(!plan.refuses("192.168.77.1".parse().unwrap()));
        assert!(plan.refuses("192.168.77.2".parse().unwrap()));
        assert!(plan.refuses("192.168.77.0".parse().unwrap()));
    }

    #[test]
    fn allow_lists_parse_strictly() {
        assert_eq!(
            parse_allowed(" 10.1.0.0/16, 192.168.5.7 ").unwrap(),
            vec![net("10.1.0.0/16"), net("192.168.5.7/32")]
        );
        assert_eq!(parse_allowed("").unwrap(), vec![]);
        let err = parse_allowed("10.1.2.3/16").unwrap_err();
        assert!(err.contains("10.1.0.0/16"), "{err}");
        assert!(parse_allowed("fd00::/8").unwrap_err().contains("IPv6"));
        assert!(
            parse_allowed("intranet")
                .unwrap_err()
                .contains("`intranet`")
        );
        assert!(parse_allowed("10.0.0.0/33").is_err());
        let many = vec!["10.0.0.1"; MAX_ALLOWED_NETWORKS + 1].join(",");
        assert!(parse_allowed(&many).unwrap_err().contains("more than"));
        assert!(parse_allowed(&"1".repeat(MAX_ALLOWED_TEXT + 1)).is_err());
    }

    fn any_net() -> impl Strategy<Value = Ipv4Net> {
        (any::<u32>(), 0u8..=32).prop_map(|(a, p)| Ipv4Net::new(a.into(), p).unwrap().trunc())
    }

    proptest! {
        /// An address is refused exactly when a default range or a host
        /// address holds it and no allowed network does (the helper's DNS
        /// alias always), however the allowed networks nest.
        #[test]
        fn refusal_is_defaults_and_hosts_minus_allowed(
            hosts in proptest::collection::vec(any::<u32>(), 0..4),
            allowed in proptest::collection::vec(any_net(), 0..8),
            probes in proptest::collection::vec(any::<u32>(), 1..64),
        ) {
            let hosts: Vec<Ipv4Addr> = hosts.into_iter().map(Ipv4Addr::from).collect();
            let plan = NetworkPlan::new(&hosts, &allowed);
            let defaults: Vec<Ipv4Net> = REFUSED_RANGES.iter().map(|(n, _)| *n).collect();
            let mut probes: Vec<Ipv4Addr> = probes.into_iter().map(Ipv4Addr::from).collect();
            probes.extend(&hosts);
            probes.extend(allowed.iter().flat_map(|n| [n.network(), n.broadcast()]));
            for address in probes {
                let expected = address == HELPER_DNS
                    || ((defaults.iter().any(|n| n.contains(&address)) || hosts.contains(&address))
                        && !allowed.iter().any(|n| n.contains(&address)));
                prop_assert_eq!(plan.refuses(address), expected, "{}", address);
            }
            prop_assert!(plan.refused.len() <= 64 * (allowed.len() + 1) + hosts.len() + 1);
        }

        /// Whatever the text, parsing ends with a list or an error naming
        /// the problem, and never more than the cap.
        #[test]
        fn hostile_allow_lists_end_in_a_list_or_an_error(text in "[0-9a-f:./, \\t]{0,200}") {
            if let Ok(list) = parse_allowed(&text) {
                prop_assert!(list.len() <= MAX_ALLOWED_NETWORKS);
            }
        }
    }
}
