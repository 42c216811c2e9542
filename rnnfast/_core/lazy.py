"""Names a package exports without importing their modules until first use."""

import importlib


def lazy_exports(package, exports):
    """(__getattr__, __dir__) for a package: `exports` maps each exported name to the
    module, relative to `package`, that holds it (None: the name is that module)."""

    def __getattr__(name):
        if name not in exports:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        home = exports[name]
        if home is None:
            return importlib.import_module(f"{package}.{name}")
        return getattr(importlib.import_module(f"{package}.{home}"), name)

    def __dir__():
        return sorted(exports)

    return __getattr__, __dir__
