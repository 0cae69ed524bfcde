# expect: module-internals
# A module passed to the program's own function or class, or kept in one.
import pathlib


def run(mod):
    return mod.os.system("sh")


run(pathlib)


class Holder:
    def __init__(self, module):
        self.module = module

    def escape(self):
        return self.module.sys.modules


Holder(pathlib).escape()


class Settings:
    backend = pathlib


Settings.backend.os.getcwd()
