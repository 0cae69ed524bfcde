# Runs before the user's code, as
# `python -I [-S] -B -u -X utf8 -c <loader> [DIR...]`; each DIR
# (site-packages, when site is disabled) is appended to sys.path.
#
# It speaks the worker protocol (docs/workers.md): requests arrive on stdin
# after this bootstrap, reports leave on descriptor 3, each a frame (a
# big-endian u32 length, a JSON header, the header's `payload` bytes). It
# says hello, waits for a `run` request (the code, the file name, the
# policy guard, the limits), compiles the code and reports whether it
# compiled, then runs it; stdin is pointed at /dev/null first so the
# program sees a closed input. What the run shows as a notebook cell would
# (its last expression's value, `display(obj)`, matplotlib figures) is
# reported as `display` frames on descriptor 3, which stays open for that. The code runs as `__main__` from the file
# the request names; its source is served to tracebacks by a loader on
# `__main__` (linecache asks it lazily), so tracebacks show the user's
# lines and none of this bootstrap's frames. The program ends as the
# interpreter ends one (`finish`), then leaves with `_exit`.
# Start-up cost matters: only built-in modules and `_json` are imported.
def _sandbox_main():
    import _json
    import posix
    import sys

    # What the interpreter had loaded before the user's code: the modules
    # the program's end leaves alone.
    preloaded = set(sys.modules)

    installer = install_guard  # __main__ is emptied of the bootstrap below
    displays = rich_display
    hook_import = on_import
    quiet_tracker = quiet_resource_tracker
    extra_paths = sys.argv[1:]
    requests = sys.stdin.buffer

    import _thread

    # Threads of the program may display at once.
    lock = _thread.allocate_lock()

    def report(header, payload=b""):
        data = header.encode()
        view = memoryview(len(data).to_bytes(4, "big") + data + payload)
        with lock:
            while view:
                view = view[posix.write(3, view) :]

    def read_exact(n):
        data = requests.read(n)
        if data is None or len(data) != n:
            posix._exit(3)  # the runner went away
        return data

    class Json:
        strict = True
        object_hook = object_pairs_hook = None
        parse_float = parse_constant = float
        parse_int = int
        memo = {}

    scan = _json.make_scanner(Json())
    string = _json.encode_basestring_ascii

    def read_request():
        length = int.from_bytes(read_exact(4), "big")
        request = scan(read_exact(length).decode(), 0)[0]
        if request.get("type") != "run" or request.get("v") != 1:
            posix._exit(2)  # a request this bootstrap does not speak
        source = read_exact(request.get("payload", 0)).decode("utf-8", "surrogateescape")
        # A byte-order mark opens many saved scripts; Python drops it from
        # a file, so from the code too.
        if source.startswith("\ufeff"):
            source = source[1:]
        return request, source, request.get("file") or "main.py"

    report('{"type":"hello","v":1}')
    request, source, name = read_request()
    # A session runs request after request in one namespace: the requests
    # keep coming on stdin, and each run ends with a `done` report.
    session = bool(request.get("session"))
    guard = request.get("guard")
    if request.get("no_exec"):
        quiet_tracker(hook_import)
    if request.get("rlimits"):
        import resource

        for limit in request["rlimits"]:
            key = getattr(resource, "RLIMIT_" + limit["resource"].upper())
            resource.setrlimit(key, (limit["soft"], limit["hard"]))
    if session:
        # Descriptor 0 keeps the runner's requests; the program's stdin is
        # closed input all the same.
        # (The request stream is held here: were its last reference
        # dropped, it would be closed.)
        held = sys.__stdin__
        sys.stdin = open("/dev/null", "r")
    else:
        null = posix.open("/dev/null", posix.O_RDONLY)
        posix.dup2(null, 0)
        posix.close(null)
        sys.stdin = open(0, "r", closefd=False)

    class MainLoader:
        """Gives the user's source to linecache for tracebacks."""

        @staticmethod
        def get_source(name):
            return source

    sys.argv = [name]
    # Isolated mode drops the script directory from sys.path; put the work
    # dir back so input files such as helper.py can be imported.
    sys.path.insert(0, posix.getcwd())
    sys.path.extend(p for p in extra_paths if p not in sys.path)
    main = sys.modules["__main__"].__dict__
    for key in (
        "_sandbox_main",
        "install_guard",
        "quiet_resource_tracker",
        "rich_display",
        "on_import",
        "__cached__",
    ):
        main.pop(key, None)
    main["__file__"] = name
    main["__loader__"] = MainLoader()
    # `exit()` and `quit()` come from `site`, which secure mode skips (-S);
    # scripts end with them often enough to keep them.
    import builtins

    if not hasattr(builtins, "exit"):

        class Quitter:
            def __init__(self, name):
                self.name = name

            def __repr__(self):
                return "Use %s() or Ctrl-D (i.e. EOF) to exit" % self.name

            def __call__(self, code=None):
                raise SystemExit(code)

        builtins.exit = Quitter("exit")
        builtins.quit = Quitter("quit")

    # Frames of this bootstrap (and of the guard's hooks) are cut out of
    # the tracebacks users see.
    hidden = {sys._getframe().f_code}

    def report_exception(exc, tb):
        # The traceback module is imported only now, to keep start-up fast;
        # if even that fails (no descriptors or memory left), the
        # interpreter's built-in printer still shows the user's frames.
        kept = []
        while tb is not None:
            if tb.tb_frame.f_code not in hidden:
                kept.append(tb)
            tb = tb.tb_next
        for outer, inner in zip(kept, kept[1:]):
            outer.tb_next = inner
        if kept:
            kept[-1].tb_next = None
        tb = kept[0] if kept else None
        exc.with_traceback(tb)
        try:
            import traceback

            traceback.print_exception(type(exc), exc, tb)
        except BaseException:
            sys.__excepthook__(type(exc), exc, tb)

    def split_last_expression(source, name):
        # A last statement that is an expression is evaluated on its own,
        # so its value can be shown as a notebook shows a cell's (unless a
        # `;` ends it, as there).
        tree = compile(source, name, "exec", 0x400, dont_inherit=True)  # PyCF_ONLY_AST
        body = tree.body
        last = None
        if body and type(body[-1]).__name__ == "Expr":
            node = body[-1]
            lines = source.replace("\r\n", "\n").replace("\r", "\n").split("\n")
            line = lines[node.end_lineno - 1] if node.end_lineno <= len(lines) else ""
            rest = line.encode("utf-8", "surrogateescape")[node.end_col_offset :].lstrip()
            if rest[:1] != b";":
                import _ast

                body.pop()
                expression = _ast.Expression(node.value)
                last = compile(expression, name, "eval", dont_inherit=True)
        return compile(tree, name, "exec", dont_inherit=True), last

    def compiled(source, name):
        # What only the interpreter's compiler finds (a `return` outside a
        # function, a NUL byte, nesting too deep for it) is a syntax error
        # too, reported as such: nothing of the user's ran.
        failure = None
        try:
            code, last = split_last_expression(source, name)
        except SyntaxError as exc:
            failure = (exc.lineno, exc.offset, exc.msg, exc.text)
        except ValueError as exc:
            failure = (None, None, str(exc), None)
        except (RecursionError, MemoryError, OverflowError) as exc:
            failure = (None, None, "%s: %s" % (type(exc).__name__, exc), None)
        if failure is None:
            report('{"type":"compiled"}')
            return code, last
        line, column, message, text = failure
        at = source.find("\0")
        if line is None and at >= 0:
            # A NUL byte (some versions give no line for it): the first.
            line = source.count("\n", 0, at) + 1
            column = at - source.rfind("\n", 0, at)
        number = lambda n: "null" if n is None else str(int(n))
        if text is not None:
            text = string(text.rstrip("\r\n"))
        report(
            '{"type":"syntax_error","line":%s,"column":%s,"message":%s,"text":%s}'
            % (number(line), number(column), string(str(message)), text or "null")
        )
        return None

    code = compiled(source, name)
    if code is None:
        posix._exit(1)
    # The code gets stdio and, for its displays, the report pipe, which no
    # program it could start would inherit.
    posix.set_inheritable(3, False)

    def exit_status(exc):
        # As the interpreter reads a SystemExit: None is 0, a number is the
        # status, anything else is printed and is 1.
        if exc.code is None:
            return 0
        if isinstance(exc.code, int):
            return exc.code & 0xFF
        try:
            sys.stderr.write("%s\n" % (exc.code,))
        except BaseException:
            pass
        return 1

    def finish(status):
        # The interpreter's exit as the program sees it: other threads
        # joined, atexit handlers run, then its own objects released as
        # finalization releases them (__main__'s while every module is
        # whole, then the modules it imported, newest first), so files are
        # flushed and closed and finalizers run; stdio flushed. The
        # interpreter's own teardown, which nothing can observe, is skipped
        # (it costs milliseconds).
        for module, step in (("threading", "_shutdown"), ("atexit", "_run_exitfuncs")):
            if module in sys.modules:  # else nothing to join or run
                try:
                    getattr(sys.modules[module], step)()
                except BaseException:
                    pass
        try:
            gc = __import__("gc")
            main.clear()
            gc.collect()
            for name in reversed(list(sys.modules)):
                namespace = getattr(sys.modules.get(name), "__dict__", None)
                if name in preloaded or type(namespace) is not dict:
                    continue
                # As the interpreter clears a module: `_private` names
                # first, then the rest but `__builtins__`.
                for key in list(namespace):
                    if key[:1] == "_" and key[1:2] != "_":
                        namespace[key] = None
                for key in list(namespace):
                    if key != "__builtins__":
                        namespace[key] = None
            gc.collect()
        except BaseException:
            pass
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except BaseException:
                if status == 0 and stream is sys.stdout:
                    status = 120  # as the interpreter does
        posix._exit(status)

    def load(module, importer=builtins.__import__):
        # The display's own imports (constant names only): the
        # bootstrap's, not the user's, under the policy guard.
        return importer(module)

    hidden.add(finish.__code__)
    hidden.add(load.__code__)
    # A session compiles each run's code (which the runner checked) after
    # the guard is in place.
    hidden.add(compiled.__code__)
    hidden.add(split_last_expression.__code__)
    display, flush_figures, shown = displays(report, load, hook_import)

    def run(code, last):
        # One run: the code, then its last expression's value shown, then
        # the figures left open, as a notebook shows a cell's. Its exit
        # status.
        status = 0
        try:
            try:
                exec(code, main)
                if last is not None:
                    value = eval(last, main)
                    if value is not None:
                        display(value)
            except SystemExit as exc:
                status = exit_status(exc)
            except BaseException as exc:
                report_exception(exc, exc.__traceback__)
                status = 1
            flush_figures()
        except BaseException:
            # An interrupt that landed in the handling above.
            status = status or 1
        return status

    hidden.add(run.__code__)
    if guard is not None:
        hidden.update(installer(guard, extra_paths, {report_exception.__code__} | hidden))
    # Cut from tracebacks, but not trusted by the guard: they call the
    # user's objects.
    hidden.update(shown)
    builtins.display = display

    if not session:
        finish(run(*code))

    import _signal

    def interrupts(handler):
        # The runner interrupts a run past its timeout (SIGINT, as Ctrl-C);
        # between runs an interrupt is ignored. One that lands while the
        # handler changes is taken, and the change made again.
        while True:
            try:
                _signal.signal(_signal.SIGINT, handler)
                return
            except KeyboardInterrupt:
                pass

    import linecache

    while True:
        if code is not None:
            # Each run's source, for tracebacks through code an earlier run
            # defined (kept, as IPython keeps its cells').
            linecache.cache[name] = (len(source), None, source.splitlines(True), name)
            interrupts(_signal.default_int_handler)
            status = run(*code)
            interrupts(_signal.SIG_IGN)
            for stream in (sys.stdout, sys.stderr):
                try:
                    stream.flush()
                except BaseException:
                    pass
            report('{"type":"done","status":%d}' % status)
        # No more requests (the session closed): the read ends the process.
        request, source, name = read_request()
        main["__file__"] = name
        sys.argv = [name]
        code = compiled(source, name)


def quiet_resource_tracker(on_import):
    """Makes multiprocessing's resource tracker a no-op, when it loads.

    The tracker is a helper process started by executing the interpreter,
    which a secure sandbox refuses; its only job, unlinking shared memory
    and semaphores a program leaked, is done by the sandbox's end (its
    /dev/shm dies with it). Without this, `shared_memory.SharedMemory`
    would fail on a broken pipe to a tracker that never started.
    """

    def quiet(module):
        for attr in ("ensure_running", "register", "unregister"):
            setattr(module, attr, lambda *args, **kwargs: None)

    on_import("multiprocessing.resource_tracker", quiet)


def rich_display(report, load, on_import):
    """Returns `display(*objs, raw=False)`, `flush_figures()` and their code
    objects: objects shown as IPython shows them, each a MIME bundle sent as
    a `display` frame.

    An object's bundle is its `_repr_mimebundle_()`, then each of its
    `_repr_png_`, `_repr_jpeg_`, `_repr_svg_`, `_repr_html_`,
    `_repr_markdown_`, `_repr_latex_` and `_repr_json_` that gives one, and
    `repr()` as `text/plain`; a matplotlib figure is drawn as a PNG.
    `raw=True` takes each object as a bundle already. `plt.show()` shows the
    open figures and closes them, as a notebook's inline backend does.
    A failing representation is named on stderr and left out. Built-ins
    are bound here: the program's globals (this module's) cannot change
    what they mean.
    """
    import builtins
    import sys

    b = builtins
    isinstance, getattr, callable, repr, type, len = (
        b.isinstance,
        b.getattr,
        b.callable,
        b.repr,
        b.type,
        b.len,
    )
    bytes, bytearray, memoryview, str, dict, tuple = (
        b.bytes,
        b.bytearray,
        b.memoryview,
        b.str,
        b.dict,
        b.tuple,
    )
    Exception = b.Exception

    methods = (
        ("image/png", "_repr_png_"),
        ("image/jpeg", "_repr_jpeg_"),
        ("image/svg+xml", "_repr_svg_"),
        ("text/html", "_repr_html_"),
        ("text/markdown", "_repr_markdown_"),
        ("text/latex", "_repr_latex_"),
        ("application/json", "_repr_json_"),
    )
    binary = ("image/png", "image/jpeg")
    # The runner's limit for one frame's payload.
    largest = 16 << 20

    def warn(what, exc):
        try:
            sys.stderr.write("display: %s failed: %s: %s\n" % (what, type(exc).__name__, exc))
        except Exception:
            pass

    def real_method(obj, name):
        # As IPython: classes are shown by repr, and an object that claims
        # every attribute (a mock, a proxy) has no representations.
        if isinstance(obj, type):
            return None
        try:
            if getattr(obj, "_ipython_canary_method_should_not_exist_", None) is not None:
                return None
            method = getattr(obj, name, None)
        except Exception:
            return None
        return method if callable(method) else None

    def encoded(mime, data):
        if mime in binary and isinstance(data, (bytes, bytearray, memoryview)):
            return load("binascii").b2a_base64(bytes(data), newline=False).decode("ascii")
        if mime == "application/json" or isinstance(data, str):
            return data
        return None

    def figure(obj):
        module = sys.modules.get("matplotlib.figure")
        return module is not None and isinstance(obj, module.Figure)

    def bundle_of(obj):
        if figure(obj):
            buffer = sys.modules["io"].BytesIO()
            obj.savefig(buffer, format="png", bbox_inches="tight")
            return {"image/png": encoded("image/png", buffer.getvalue()), "text/plain": repr(obj)}
        bundle = {}
        method = real_method(obj, "_repr_mimebundle_")
        if method is not None:
            try:
                data = method(include=None, exclude=None)
                if isinstance(data, tuple):
                    data = data[0]
                for mime, value in (data or {}).items():
                    value = encoded(mime, value) if isinstance(mime, str) else None
                    if value is not None:
                        bundle[mime] = value
            except Exception as exc:
                warn("%s._repr_mimebundle_()" % type(obj).__name__, exc)
        for mime, name in methods:
            method = None if mime in bundle else real_method(obj, name)
            if method is None:
                continue
            try:
                data = method()
            except Exception as exc:
                warn("%s.%s()" % (type(obj).__name__, name), exc)
                continue
            if isinstance(data, tuple) and len(data) == 2:
                data = data[0]  # (data, metadata)
            if data is not None:
                data = encoded(mime, data)
            if data is not None:
                bundle[mime] = data
        if "text/plain" not in bundle:
            try:
                bundle["text/plain"] = repr(obj)
            except Exception as exc:
                warn("repr() of a %s" % type(obj).__name__, exc)
                bundle["text/plain"] = "<%s object>" % type(obj).__name__
        return bundle

    def send(bundle):
        dumps = load("json").dumps
        try:
            text = dumps(bundle, ensure_ascii=False, allow_nan=False)
        except Exception as exc:
            # A JSON representation that is not JSON: the rest is shown.
            warn("the application/json representation", exc)
            bundle = {k: v for k, v in bundle.items() if isinstance(v, str)}
            text = dumps(bundle, ensure_ascii=False)
        data = text.encode("utf-8", "replace")
        if len(data) > largest:
            sys.stderr.write(
                "display: an object of %d bytes was not shown (at most %d)\n"
                % (len(data), largest)
            )
            return
        report('{"type":"display","payload":%d}' % len(data), data)

    def display(*objs, raw=False, **ignored):
        """Shows each object in the run's result, as IPython's `display`."""
        for obj in objs:
            if raw and isinstance(obj, dict):
                bundle = {k: encoded(k, v) for k, v in obj.items() if isinstance(k, str)}
                bundle = {k: v for k, v in bundle.items() if v is not None}
            else:
                try:
                    bundle = bundle_of(obj)
                except Exception as exc:
                    warn("showing a %s" % type(obj).__name__, exc)
                    continue
            if bundle:
                send(bundle)

    def flush_figures():
        pyplot = sys.modules.get("matplotlib.pyplot")
        if pyplot is None:
            return
        try:
            for number in pyplot.get_fignums():
                display(pyplot.figure(number))
        finally:
            pyplot.close("all")

    def show(*args, **kwargs):
        flush_figures()

    def patch_pyplot(module):
        module.show = show

    on_import("matplotlib.pyplot", patch_pyplot)
    code = (display, flush_figures, show, bundle_of, send, encoded, real_method, warn, figure)
    return display, flush_figures, [f.__code__ for f in code]


def on_import(target, patch):
    """Calls `patch(module)` once `target` is loaded, before its importer
    gets it."""
    import sys

    class Finder:
        @classmethod
        def find_spec(cls, name, path=None, target_module=None):
            if name != target:
                return None
            sys.meta_path.remove(cls)
            for finder in sys.meta_path:
                find = getattr(finder, "find_spec", None)
                spec = find(name, path, target_module) if find else None
                if spec is not None:
                    break
            else:
                return None
            run = spec.loader.exec_module

            def exec_module(module):
                run(module)
                patch(module)

            spec.loader.exec_module = exec_module
            return spec

    sys.meta_path.insert(0, Finder)


def install_guard(spec, extra_paths, own_code):
    """Installs the policy's in-interpreter guard; returns its hooks' code
    objects so tracebacks can leave them out.

    `own_code` holds the bootstrap's code objects, whose imports (such as
    `traceback` when reporting an error) and whose `exec` of the user's code
    are its own, not the user's.
    Defence in depth, never the boundary (the kernel is). Imports started by
    the user's own code are held to the module lists, while the standard
    library and installed packages import what they need; audit events that
    run programs, reach a disabled network or open the interpreter's
    internals from user code raise an error that names the policy, and so
    does `_posixsubprocess.fork_exec`, which starts programs without one.
    """
    import builtins
    import posix
    import sys

    options = dict(item.split("=", 1) for item in spec.split(";") if "=" in item)

    def names(key):
        value = options.get(key, "")
        return frozenset(value.split(",")) if value else frozenset()

    allow, deny, local = names("allow"), names("deny"), names("local")
    unlisted_allowed = options.get("unlisted") == "allow"
    network = options.get("net") == "1"
    # A session's work dir gains modules between runs: one there is local.
    work_local = options.get("work") == "1"

    def in_work_dir(name):
        for candidate in (name + ".py", name + "/__init__.py", name):
            try:
                posix.stat(work + candidate)
                return True
            except OSError:
                pass
        return False

    class PolicyError(PermissionError):
        """An operation the sandbox policy blocks."""

    class BlockedImport(ImportError):
        """An import the sandbox policy blocks."""

    for cls in (PolicyError, BlockedImport):
        cls.__module__ = "sandbox"
        cls.__qualname__ = cls.__name__

    def refusal(module):
        # The longest matching entry decides; deny wins over allow.
        parts = module.split(".")
        for end in range(len(parts), 0, -1):
            prefix = ".".join(parts[:end])
            if prefix in deny:
                return "`%s` is on the policy's deny list" % prefix
            if prefix in allow:
                return None
        if parts[0] in local or unlisted_allowed:
            return None
        if work_local and in_work_dir(parts[0]):
            return None
        return "`%s` is not on the policy's allow list" % parts[0]

    # Code is trusted when it comes from the interpreter's own library or
    # its site-packages; the work dir, main.py and code of unknown origin
    # (`<string>`) are the user's.
    work = posix.getcwd().rstrip("/") + "/"
    prefixes = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    trusted = tuple(p.rstrip("/") + "/" for p in prefixes.union(extra_paths) if p)
    verdicts = {}

    def is_user_frame(frame):
        return frame.f_code not in own_code and is_user(frame.f_code.co_filename)

    def is_user(filename):
        verdict = verdicts.get(filename)
        if verdict is None:
            verdict = not (
                filename.startswith("<frozen ")
                or (filename.startswith(trusted) and not filename.startswith(work))
            )
            verdicts[filename] = verdict
        return verdict

    getframe = sys._getframe
    busy = [False]

    def caller(depth):
        # sys._getframe raises an audit event itself; `busy` keeps the hook
        # from judging the guard's own calls.
        busy[0] = True
        try:
            return getframe(depth + 1)
        finally:
            busy[0] = False

    real_import = builtins.__import__

    def guarded_import(name, globals=None, locals=None, fromlist=(), level=0):
        if level == 0 and is_user_frame(caller(1)):
            reason = refusal(name)
            if reason is not None:
                raise BlockedImport(
                    "import of `%s` is blocked by the sandbox policy: %s" % (name, reason),
                    name=name,
                )
        return real_import(name, globals, locals, fromlist, level)

    wrapper_code = guarded_import.__code__
    running = "running other programs is not allowed"

    # `_posixsubprocess.fork_exec` starts a program without an audit event:
    # `subprocess.Popen` raises its own first (refused below), but
    # `multiprocessing` and code that holds the module (`sys.modules`, an
    # allowed module's attribute) call it directly. Under the guard nothing
    # may start a program, so it is replaced, before anything can take a
    # reference to it, by a function that refuses; nothing then holds the
    # original. Loading such a module afresh (after taking it out of
    # `sys.modules`) would bring the original back, and a sub-interpreter
    # starts without these hooks, so their imports are refused from any
    # frame.
    sealed = frozenset(
        (
            "_posixsubprocess",
            "_interpreters",
            "_interpchannels",
            "_interpqueues",
            "_xxsubinterpreters",
            "_xxinterpchannels",
            "_testcapi",
            "_testinternalcapi",
        )
    )

    def fork_exec(*args, **kwargs):
        raise PolicyError(
            "`_posixsubprocess.fork_exec` is blocked by the sandbox policy: %s" % running
        )

    try:
        import _posixsubprocess
    except ImportError:
        pass
    else:
        _posixsubprocess.fork_exec = fork_exec

    # An extension module's loading raises the `import` audit event the
    # hook refuses sealed modules on; a module built into the interpreter
    # (Debian builds `_posixsubprocess` in) is made by `_imp.create_builtin`,
    # which raises none. importlib looks that function up on `_imp` at each
    # load, so this refusal is the one it finds.
    import _imp

    real_create_builtin = _imp.create_builtin

    def create_builtin(spec):
        name = getattr(spec, "name", None)
        if name in sealed:
            raise BlockedImport(
                "import of `%s` is blocked by the sandbox policy: it starts programs or "
                "interpreters outside the policy" % name,
                name=name,
            )
        return real_create_builtin(spec)

    _imp.create_builtin = create_builtin
    offline = "network access is off for this run"
    internals = "it opens the interpreter's internals"
    always = {
        "os.system": running,
        "os.exec": running,
        "os.posix_spawn": running,
        "os.spawn": running,
        "os.fork": running,
        "os.forkpty": running,
        "subprocess.Popen": running,
        "pty.spawn": running,
        "_winapi.CreateProcess": running,
        "os.startfile": running,
    }
    if not network:
        for event in (
            "socket.connect",
            "socket.sendto",
            "socket.sendmsg",
            "socket.getaddrinfo",
            "socket.gethostbyname",
            "socket.gethostbyaddr",
            "socket.getnameinfo",
        ):
            always[event] = offline
    from_user = {
        "import": None,
        "exec": "it runs code the policy check never saw",
        "compile": "it runs code the policy check never saw",
        "code.__new__": internals,
        "function.__new__": internals,
        "sys._getframe": internals,
        "sys._current_frames": internals,
        "sys.settrace": internals,
        "sys.setprofile": internals,
        "gc.get_objects": internals,
        "gc.get_referrers": internals,
        "gc.get_referents": internals,
        "ctypes.dlopen": internals,
        "ctypes.dlsym": internals,
        "ctypes.cdata": internals,
        "ctypes.call_function": internals,
    }

    def hook(event, args):
        if busy[0]:
            return
        if event == "import" and args[0] in sealed:
            raise BlockedImport(
                "import of `%s` is blocked by the sandbox policy: it starts programs or "
                "interpreters outside the policy" % args[0],
                name=args[0],
            )
        reason = always.get(event)
        if reason is None:
            if event not in from_user:
                return
            frame = caller(1)
            if event == "import":
                # The first frame outside the import machinery (and the
                # import wrapper) started it.
                while frame is not None and (
                    frame.f_code is wrapper_code
                    or frame.f_code.co_filename.startswith("<frozen importlib")
                ):
                    frame = frame.f_back
            elif event.startswith("ctypes."):
                # ...and the first frame outside ctypes called it.
                while frame is not None and "/ctypes/" in frame.f_code.co_filename:
                    frame = frame.f_back
            if frame is None or not is_user_frame(frame):
                return
            if event == "import":
                reason = refusal(args[0])
                if reason is None:
                    return
                raise BlockedImport(
                    "import of `%s` is blocked by the sandbox policy: %s" % (args[0], reason),
                    name=args[0],
                )
            reason = from_user[event]
        raise PolicyError("`%s` is blocked by the sandbox policy: %s" % (event, reason))

    builtins.__import__ = guarded_import
    sys.addaudithook(hook)
    return (
        guarded_import.__code__,
        hook.__code__,
        caller.__code__,
        fork_exec.__code__,
        create_builtin.__code__,
    )


_sandbox_main()
