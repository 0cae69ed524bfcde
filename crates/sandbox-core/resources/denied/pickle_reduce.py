# expect: blocked-import, forbidden-builtin, introspection-attribute
# A __reduce__ hook makes copy/pickle call any callable.
import copy
import pickle


class Gadget:
    def __reduce__(self):
        return (eval, ("__import__('os').system('id')",))

    def __reduce_ex__(self, protocol):
        return self.__reduce__()


copy.copy(Gadget())
pickle.loads(pickle.dumps(Gadget()))
