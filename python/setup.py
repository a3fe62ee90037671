"""Builds sipworker._sipw with setuptools (the pip route); CMake (-DSIPW_PYTHON=ON) is the other.

Needs an installed libsipw (header, library, sipw.pc) and swig:
    PKG_CONFIG_PATH=<prefix>/lib/pkgconfig pip install --no-index --no-build-isolation ./python
The SWIG interface is read from $SIPW_SWIG_DIR, else ../bindings/sipw.i (a source checkout), else
<datadir>/sipw/swig/ of the installed library; the catalogue of names (for sipworker/names.py) the
same way from $SIPW_CATALOGUE_DIR, ../catalogue or <datadir>/sipw/catalogue/. The module gets an
absolute RUNPATH to libsipw's libdir, so it loads without LD_LIBRARY_PATH.
"""
import os
import shlex
import subprocess
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = os.path.dirname(os.path.abspath(__file__))


def pkgconfig(*args):
    return shlex.split(subprocess.check_output(["pkg-config", *args, "sipw"], text=True))


def shared_file(name, env, checkout_dir, installed_dir):
    """`name` from $env, the source checkout, or the installed library's datadir."""
    prefix = pkgconfig("--variable=prefix")[0]
    candidates = [os.environ.get(env), os.path.join(HERE, "..", checkout_dir),
                  os.path.join(prefix, "share", "sipw", installed_dir)]
    for directory in filter(None, candidates):
        path = os.path.join(directory, name)
        if os.path.exists(path):
            return path
    raise SystemExit(f"{name} not found: set {env} to the directory holding it")


class SwigBuildExt(build_ext):
    """Runs swig into build_temp and puts the generated sipw.py into the package in build_lib."""

    def build_extension(self, ext):
        os.makedirs(self.build_temp, exist_ok=True)
        package_out = os.path.join(self.build_lib, "sipworker")
        os.makedirs(package_out, exist_ok=True)
        wrapper = os.path.join(self.build_temp, "sipw_wrap.c")
        includes = pkgconfig("--cflags-only-I")
        interface = shared_file("sipw.i", "SIPW_SWIG_DIR", "bindings", "swig")
        self.spawn(["swig", "-python", *includes, "-outdir", package_out, "-o", wrapper, interface])
        catalogue = shared_file("names.toml", "SIPW_CATALOGUE_DIR", "catalogue", "catalogue")
        generator = os.path.join(os.path.dirname(catalogue), "generate.py")
        self.spawn([sys.executable, generator, catalogue, "--python", os.path.join(package_out, "names.py")])
        ext.sources = [wrapper]
        ext.include_dirs = [flag[2:] for flag in includes]
        libdir = pkgconfig("--variable=libdir")[0]
        ext.library_dirs, ext.libraries, ext.runtime_library_dirs = [libdir], ["sipw"], [libdir]
        super().build_extension(ext)


setup(ext_modules=[Extension("sipworker._sipw", sources=[])], cmdclass={"build_ext": SwigBuildExt})
