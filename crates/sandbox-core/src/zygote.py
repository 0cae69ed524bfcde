# The fork server (docs/workers.md, "The fork server"): an interpreter
# started once inside a base sandbox, as
# `python -I -S -B -u -X utf8 -c <zygote loader> [DIR...]`, that forks one
# fresh sandbox per request of the runner instead of starting a new
# interpreter each time.
#
# stdin brings, after this source: the compiled bootstrap (its length on a
# line, then `marshal` data) and the configuration (its length on a line,
# then JSON). Descriptor 3 is a SOCK_SEQPACKET socket to the runner: each
# message is a JSON header with the sandbox's descriptors attached
# (SCM_RIGHTS): stdin, stdout, stderr, reports, status, release, hello, then
# the cgroup `tasks` files. The server never runs user code and never reads
# a request's code: each sandbox's program reads its own stdin.
#
# Per sandbox: the server clones init straight into new user, mount, pid,
# ipc, uts, cgroup and (without the network) net namespaces: pid 1 of the
# new pid namespace, a child of the server, which reaps it. Init maps the
# sandbox user to itself, mounts fresh tmpfs on the work dir, /tmp and
# /dev/shm and a fresh /proc, brings up loopback, forks the program, hides
# itself (non-dumpable) and says ready on the hello socket (the kernel attaches its
# pid there, as the runner sees it). The program joins its cgroups, sets its
# rlimits, drops every capability, sets no_new_privs, restricts itself with
# landlock and seccomp, closes every other descriptor, forgets the modules
# the server imported, and runs the bootstrap, which says hello on
# descriptor 3 and waits for its request as in a cold sandbox. Init reports
# the program's end on the status pipe exactly as the runner's own init
# does (wait status, CPU microseconds, peak RSS KiB), then waits for the
# release.
def _zygote_main():
    import sys

    cold_modules = set(sys.modules)
    import posix
    import marshal
    import json
    import struct
    import ctypes
    import fcntl
    import resource
    import signal
    import _socket
    import gc
    import time

    # What the bootstrap imports anyway (`resource` when the run sets
    # limits, `_posixsubprocess` when the policy guard seals it) stays
    # loaded in the sandboxes.
    import _posixsubprocess  # noqa: F401 (loaded once here, not per sandbox)

    cold_modules.update(("_json", "resource", "_posixsubprocess"))
    stdin = sys.stdin.buffer
    bootstrap = marshal.loads(stdin.read(int(stdin.readline())))
    # The compiler sets up its state on first use (about 1.5 ms): once
    # here, not in every sandbox.
    compile("pass", "<warm-up>", "exec")
    config = json.loads(stdin.read(int(stdin.readline())))
    libc = ctypes.CDLL(None, use_errno=True)
    # Typed, so every argument reaches the kernel at its full width
    # (`syscall` and `prctl` are variadic: numbers go as longs).
    libc.mount.argtypes = [ctypes.c_char_p] * 3 + [ctypes.c_ulong, ctypes.c_char_p]

    def syscall(number, *args):
        return libc.syscall(
            ctypes.c_long(number),
            *(ctypes.c_long(a) if isinstance(a, int) else a for a in args),
        )

    def prctl(option, *args):
        return libc.prctl(ctypes.c_int(option), *(ctypes.c_ulong(a) for a in args))
    nr = config["syscalls"]
    control = _socket.socket(fileno=3)
    main_globals = sys.modules["__main__"].__dict__

    class Failed(Exception):
        pass

    # Set once the program runs the bootstrap: from then on its end is the
    # program's own (the bootstrap ends it as in a cold sandbox; an error
    # before that unwinds to the interpreter's normal exit).
    running = []

    def check(ret, step):
        if ret == -1:
            errno = ctypes.get_errno()
            raise Failed("%s: %s (errno %d)" % (step, posix.strerror(errno), errno))
        return ret

    def write_file(path, data):
        fd = posix.open(path, posix.O_WRONLY)
        try:
            posix.write(fd, data)
        finally:
            posix.close(fd)

    def fail(hello, message):
        try:
            posix.write(hello, ("error " + message).encode())
        finally:
            posix._exit(1)

    # Python's own bookkeeping around a fork (locks, at-fork hooks), called
    # with the GIL held (PyDLL), around a raw `clone` that also makes the
    # namespaces: one process per sandbox fewer than fork-then-unshare.
    api = ctypes.PyDLL(None, use_errno=True)
    clone_flags = ctypes.c_long(0x10000000 | config["unshare"] | signal.SIGCHLD)

    def clone_init():
        api.PyOS_BeforeFork()
        pid = api.syscall(ctypes.c_long(nr["clone"]), clone_flags, *(ctypes.c_long(0),) * 4)
        errno = ctypes.get_errno()
        if pid == 0:
            api.PyOS_AfterFork_Child()
        else:
            api.PyOS_AfterFork_Parent()
        if pid == -1:
            raise Failed("enter new namespaces: %s (errno %d)" % (posix.strerror(errno), errno))
        return pid

    # Outside the new user namespace: a cloned child sees the overflow ids
    # until it maps these to themselves.
    uid, gid = posix.geteuid(), posix.getegid()

    def enter_namespaces(mapped_by_runner, hello):
        if mapped_by_runner:
            # A host id of the sandbox's own (a root runner): only the
            # runner, from this server's namespace, may map it. Ask, wait,
            # then become the sandbox user (capabilities in the new
            # namespace stay: no id involved was root).
            posix.write(hello, b"m")
            if posix.read(hello, 16) != b"g":
                raise Failed("map the sandbox's user: the runner did not answer")
            sandbox_id = config["sandbox_id"]
            posix.setresgid(sandbox_id, sandbox_id, sandbox_id)
            posix.setresuid(sandbox_id, sandbox_id, sandbox_id)
            # Changing ids made the process non-dumpable, which hides its
            # /proc/self files (timens_offsets) from it; init becomes
            # non-dumpable again before the program runs.
            prctl(4, 1, 0, 0, 0)  # PR_SET_DUMPABLE
        else:
            write_file("/proc/self/setgroups", b"deny")
            write_file("/proc/self/uid_map", b"%d %d 1\n" % (uid, uid))
            write_file("/proc/self/gid_map", b"%d %d 1\n" % (gid, gid))
        check(libc.mount(None, b"/", None, 0x4000 | (1 << 18), None), "make the mounts private")
        for path, data in config["tmpfs"]:
            check(
                libc.mount(b"tmpfs", path.encode(), b"tmpfs", 0x2 | 0x4 | 0x8, data.encode()),
                "mount the tmpfs at " + path,
            )

    # Time namespace offsets count from the host's clocks; this server's
    # own (its base sandbox's) are in its `timens_offsets`.
    base_offsets = {}
    with open("/proc/self/timens_offsets") as offsets:
        for line in offsets:
            name, seconds, _ = line.split()
            base_offsets[name] = int(seconds)
    boot_id_mark, boot_time_mark = config["view_marks"]

    def proc_views():
        # Written to the fresh /tmp (empty until the program runs), bound
        # over /proc read-only, then unlinked.
        raw = bytearray(posix.urandom(16))
        raw[6] = (raw[6] & 0x0F) | 0x40
        raw[8] = (raw[8] & 0x3F) | 0x80
        hex_id = raw.hex()
        boot_id = "-".join((hex_id[:8], hex_id[8:12], hex_id[12:16], hex_id[16:20], hex_id[20:]))
        boot_time = str(int(time.time()))
        for index, (path, contents) in enumerate(config["views"]):
            source = b"/tmp/.view-%d" % index
            fd = posix.open(source, posix.O_WRONLY | posix.O_CREAT | posix.O_EXCL, 0o444)
            try:
                posix.write(fd, contents.replace(boot_id_mark, boot_id).replace(boot_time_mark, boot_time).encode())
            finally:
                posix.close(fd)
            check(libc.mount(source, path.encode(), None, 0x1000, None), "bind the view of " + path)
            check(
                libc.mount(None, path.encode(), None, 0x20 | 0x1000 | 0x1 | 0x2 | 0x4 | 0x8, None),
                "make the view of %s read-only" % path,
            )
            posix.unlink(source)

    def time_namespace():
        # The program's clocks (uptime, process start times) count from now.
        check(libc.unshare(0x80), "make the time namespace")  # CLONE_NEWTIME
        lines = []
        for name, clock in (("monotonic", time.CLOCK_MONOTONIC), ("boottime", time.CLOCK_BOOTTIME)):
            lines.append("%s %d 0\n" % (name, base_offsets.get(name, 0) - int(time.clock_gettime(clock))))
        write_file("/proc/self/timens_offsets", "".join(lines).encode())

    def add_routes(messages):
        # Route requests for NETLINK_ROUTE, each acknowledged: the routes
        # that refuse the host's networks (see the runner's `network`).
        step = config["route_bytes"] * config["routes_per_batch"]
        nl = _socket.socket(_socket.AF_NETLINK, _socket.SOCK_RAW, 0)
        try:
            for start in range(0, len(messages), step):
                batch = messages[start : start + step]
                nl.send(batch)
                awaited = len(batch) // config["route_bytes"]
                while awaited:
                    data = nl.recv(65536)
                    at = 0
                    while at + 20 <= len(data):
                        length, kind = struct.unpack_from("=IH", data, at)
                        if kind == 2:  # NLMSG_ERROR, 0 acknowledges
                            (err,) = struct.unpack_from("=i", data, at + 16)
                            if err:
                                raise Failed("add the routes that refuse the host's networks: %s" % posix.strerror(-err))
                            awaited -= 1
                        if length < 16:
                            break
                        at += (length + 3) & ~3
        except OSError as exc:
            raise Failed("add the routes that refuse the host's networks: %s" % exc)
        finally:
            nl.close()

    def dns_socket():
        # The runner's relay answers what arrives here.
        sock = _socket.socket(_socket.AF_INET, _socket.SOCK_DGRAM)
        try:
            sock.bind((config["relay"], 53))
        except OSError as exc:
            sock.close()
            raise Failed("bind the sandbox's DNS socket: %s" % exc)
        return sock.detach()

    def init_setup(routes):
        check(libc.mount(b"proc", b"/proc", b"proc", 0x2 | 0x4 | 0x8, None), "mount a fresh /proc")
        proc_views()
        if config["time_namespace"]:
            time_namespace()
        for path, value in config["sysctls"]:
            try:
                write_file(path, value.encode())
            except OSError:
                pass  # best effort, as in a cold sandbox
        sock = _socket.socket(_socket.AF_INET, _socket.SOCK_DGRAM)
        try:
            fcntl.ioctl(sock.fileno(), 0x8914, struct.pack("16sh22x", b"lo", 0x1 | 0x40))
        except OSError as exc:
            raise Failed("bring up loopback: %s" % exc)
        finally:
            sock.close()
        if routes is None:
            return None
        add_routes(bytes.fromhex(routes))
        return dns_socket()

    def landlock():
        rules = config["landlock"]
        if rules is None:
            return
        attr = struct.pack("=QQQ", rules["handled"], 0, rules["scope"])[: rules["attr_size"]]
        ruleset = check(
            syscall(nr["landlock_create_ruleset"], attr, len(attr), 0),
            "create the landlock ruleset",
        )
        for path, access in rules["rules"]:
            try:
                fd = posix.open(path, posix.O_PATH | posix.O_CLOEXEC)
            except OSError:
                continue  # as the runner's own rules: a path that is not there
            try:
                if not _is_dir(fd):
                    access &= rules["file_access"]
                rule = struct.pack("=Qi", access, fd)
                check(syscall(nr["landlock_add_rule"], ruleset, 1, rule, 0), "add the landlock rule for " + path)
            finally:
                posix.close(fd)
        check(syscall(nr["landlock_restrict_self"], ruleset, 0), "restrict with landlock")
        posix.close(ruleset)

    def _is_dir(fd):
        return (posix.fstat(fd).st_mode & 0o170000) == 0o040000

    class Fprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    filters = [bytes.fromhex(text) for text in config["seccomp"]]

    def program_main(fds, cgroups, rlimits, hello):
        signal.signal(signal.SIGUSR1, signal.SIG_DFL)
        for fd in cgroups:
            try:
                posix.write(fd, b"0")
            except OSError as exc:
                raise Failed("join the run's cgroup: %s" % exc)
        for number, soft, hard in rlimits:
            try:
                resource.setrlimit(number, (soft, hard))
            except (OSError, ValueError) as exc:
                raise Failed("set a resource limit: %s" % exc)
        posix.chdir(config["cwd"])
        for cap in range(64):
            prctl(24, cap, 0, 0, 0)  # PR_CAPBSET_DROP
        prctl(47, 4, 0, 0, 0)  # PR_CAP_AMBIENT, CLEAR_ALL
        header = struct.pack("=Ii", 0x20080522, 0)
        check(syscall(nr["capset"], header, bytes(24)), "drop capabilities")
        check(prctl(38, 1, 0, 0, 0), "set no_new_privs")
        landlock()
        stdin_r, stdout_w, stderr_w, report_w = fds
        for fd, target in ((stdin_r, 0), (stdout_w, 1), (stderr_w, 2), (report_w, 3)):
            posix.dup2(fd, target)
        for data in filters:
            buffer = ctypes.create_string_buffer(data, len(data))
            prog = Fprog(len(data) // 8, ctypes.cast(buffer, ctypes.c_void_p))
            check(syscall(nr["seccomp"], 1, 0, ctypes.byref(prog)), "install the seccomp filter")
        posix.write(hello, b"p")
        check(syscall(nr["close_range"], 4, 0xFFFFFFFF, 0), "close inherited descriptors")
        # The program starts as a cold one would: fresh stdio objects, no
        # module of the server's, nothing of it in __main__.
        for name in set(sys.modules) - cold_modules:
            del sys.modules[name]
        main_globals.pop("_zygote_main", None)
        sys.stdin = sys.__stdin__ = open(0, "r", closefd=False)
        running.append(True)
        # The bootstrap ends the program itself (as the interpreter would,
        # then `_exit`); it comes back only if it failed before the code ran.
        exec(bootstrap, main_globals)
        posix._exit(0)

    def init_main(fds, cgroups, rlimits, status, release, hello, routes):
        dns = init_setup(routes)
        program = posix.fork()
        if program == 0:
            try:
                program_main(fds, cgroups, rlimits, hello)
            except BaseException as exc:
                if running:
                    raise
                fail(hello, "%s" % exc)
        prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE: nothing may read init

        def kill_all():
            try:
                posix.kill(-1, 9)
            except OSError:
                pass  # nobody left (ESRCH)

        def stop(signum, frame):
            kill_all()

        signal.signal(signal.SIGUSR1, stop)
        if dns is None:
            posix.write(hello, b"r")
        else:
            channel = _socket.socket(_socket.AF_UNIX, _socket.SOCK_SEQPACKET, 0, hello)
            try:
                channel.sendmsg([b"r"], [(_socket.SOL_SOCKET, _socket.SCM_RIGHTS, struct.pack("i", dns))])
            finally:
                channel.detach()
            posix.close(dns)
        for fd in list(fds) + list(cgroups) + [hello, 0, 1, 2]:
            try:
                posix.close(fd)
            except OSError:
                pass
        record = None
        while True:
            try:
                pid, wait_status, usage = posix.wait4(-1, 0)
            except ChildProcessError:
                break
            if pid == program:
                cpu = int((usage.ru_utime + usage.ru_stime) * 1e6)
                record = struct.pack("=qQQ", wait_status, cpu, usage.ru_maxrss)
                kill_all()  # nothing the run started outlives it
        if record is not None:
            posix.write(status, record)
        posix.close(status)
        try:
            posix.read(release, 1)  # until the runner has collected the files
        finally:
            posix._exit(0)

    def sandbox(header, fds):
        """Init's life, in its new namespaces: it never returns."""
        stdin_r, stdout_w, stderr_w, report_w, status, release, hello = fds[:7]
        cgroups = fds[7:]
        posix.close(control.detach())
        try:
            enter_namespaces(header.get("map") is not None, hello)
            init_main(
                (stdin_r, stdout_w, stderr_w, report_w),
                cgroups,
                header["rlimits"],
                status,
                release,
                hello,
                header.get("routes"),
            )
        except BaseException as exc:
            if running:
                raise
            fail(hello, "%s" % exc)
        posix._exit(1)

    # Everything the server made stays out of the sandboxes' collections:
    # a collection would write to every object and copy the page it is on.
    gc.collect()
    gc.freeze()
    posix.write(3, b'{"type":"hello","v":1}')
    sys.stdout.flush()
    while True:
        try:
            data, ancillary, flags, _ = control.recvmsg(1 << 18, _socket.CMSG_SPACE(64 * 4))
        except InterruptedError:
            continue
        if not data:
            posix._exit(0)  # the runner is gone
        fds = []
        for level, kind, payload in ancillary:
            if level == _socket.SOL_SOCKET and kind == _socket.SCM_RIGHTS:
                fds.extend(struct.unpack("%di" % (len(payload) // 4), payload[: len(payload) // 4 * 4]))
        # Reap the inits of sandboxes that have ended.
        while True:
            try:
                if posix.waitpid(-1, posix.WNOHANG)[0] == 0:
                    break
            except ChildProcessError:
                break
        try:
            header = json.loads(data)
            ok = header.get("type") == "sandbox" and len(fds) >= 7
        except ValueError:
            ok = False
        if ok:
            try:
                child = clone_init()
            except Failed as exc:
                child = -1
                try:
                    posix.write(fds[6], ("error %s" % exc).encode())
                except OSError:
                    pass
            if child == 0:
                # The sandbox's processes never come back to this loop: they
                # end in `posix._exit` or unwind to the interpreter's exit.
                sandbox(header, fds)
                posix._exit(1)
        for fd in fds:
            posix.close(fd)


_zygote_main()
