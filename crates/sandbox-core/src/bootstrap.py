# Runs before the user's code, as `python -I [-S] -B -u -X utf8 -c <this> [DIR...]`;
# each DIR (site-packages, when site is disabled) is appended to sys.path.
# The code arrives on stdin (no argv size limit, nothing written to disk);
# stdin is then pointed at /dev/null so the program sees a closed input.
# The code runs as `__main__` from a file named main.py. Its source is served
# to tracebacks by a loader on `__main__` (linecache asks it lazily), so
# tracebacks show the user's lines and none of this bootstrap's frames.
# Start-up cost matters: only built-in modules are imported here.
def _sandbox_main():
    import posix
    import sys

    extra_paths = sys.argv[1:]
    source = sys.stdin.buffer.read().decode("utf-8")
    null = posix.open("/dev/null", posix.O_RDONLY)
    posix.dup2(null, 0)
    posix.close(null)
    sys.stdin = open(0, "r", closefd=False)

    class MainLoader:
        """Gives the user's source to linecache for tracebacks."""

        @staticmethod
        def get_source(name):
            return source

    name = "main.py"
    sys.argv = [name]
    # Isolated mode drops the script directory from sys.path; put the work
    # dir back so input files such as helper.py can be imported.
    sys.path.insert(0, posix.getcwd())
    sys.path.extend(p for p in extra_paths if p not in sys.path)
    main = sys.modules["__main__"].__dict__
    for key in ("_sandbox_main", "__cached__"):
        main.pop(key, None)
    main["__file__"] = name
    main["__loader__"] = MainLoader()

    def report(exc, tb):
        # The traceback module is imported only now, to keep start-up fast;
        # if even that fails (no descriptors or memory left), the
        # interpreter's built-in printer still shows the user's frames.
        exc.with_traceback(tb)
        try:
            import traceback

            traceback.print_exception(type(exc), exc, tb)
        except BaseException:
            sys.__excepthook__(type(exc), exc, tb)
        sys.stderr.flush()
        sys.exit(1)

    try:
        code = compile(source, name, "exec", dont_inherit=True)
    except SyntaxError as exc:
        report(exc, None)
    try:
        exec(code, main)
    except SystemExit:
        raise
    except BaseException as exc:
        report(exc, exc.__traceback__.tb_next)


_sandbox_main()
