# expect: module-internals
# A module returned by the program's own function, method or lambda.
import pathlib
import random


def f():
    return pathlib


f().os.system("sh")
get = lambda: random
get()._os.system("sh")
g = f
g().sys.modules


class Box:
    def module(self):
        return pathlib


Box().module().os.getcwd()


def each():
    yield pathlib


for module in each():
    module.os.getcwd()
