"""Builds sipworker._sipw with setuptools (the pip route); CMake (-DSIPW_PYTHON=ON) is the other.

Needs an installed libsipw (header, library, sipw.pc) and swig:
    PKG_CONFIG_PATH=<prefix>/lib/pkgconfig pip install --no-index --no-build-isolation ./python
The SWIG interface is read from ../bindings/sipw.i (a source checkout), else from $SIPW_SWIG_DIR,
else from <datadir>/sipw/swig/ of the installed library. The module gets an absolute RUNPATH to
libsipw's libdir, so it loads without LD_LIBRARY_PATH.
"""
import os
import shlex
import subprocess

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = os.path.dirname(os.path.abspath(__file__))


def pkgconfig(*args):
    return shlex.split(subprocess.check_output(["pkg-config", *args, "sipw"], text=True))


def interface_file():
    candidates = [os.environ.get("SIPW_SWIG_DIR"), os.path.join(HERE, "..", "bindings")]
    prefix = pkgconfig("--variable=prefix")[0]
    candidates.append(os.path.join(prefix, "share", "sipw", "swig"))
    for directory in filter(None, candidates):
        path = os.path.join(directory, "sipw.i")
        if os.path.exists(path):
            return path
    raise SystemExit("sipw.i not found: set SIPW_SWIG_DIR to the directory holding it")


class SwigBuildExt(build_ext):
    """Runs swig into build_temp and puts the generated sipw.py into the package in build_lib."""

    def build_extension(self, ext):
        os.makedirs(self.build_temp, exist_ok=True)
        package_out = os.path.join(self.build_lib, "sipworker")
        os.makedirs(package_out, exist_ok=True)
        wrapper = os.path.join(self.build_temp, "sipw_wrap.c")
        includes = pkgconfig("--cflags-only-I")
        self.spawn(["swig", "-python", *includes, "-outdir", package_out, "-o", wrapper, interface_file()])
        ext.sources = [wrapper]
        ext.include_dirs = [flag[2:] for flag in includes]
        libdir = pkgconfig("--variable=libdir")[0]
        ext.library_dirs, ext.libraries, ext.runtime_library_dirs = [libdir], ["sipw"], [libdir]
        super().build_extension(ext)


setup(ext_modules=[Extension("sipworker._sipw", sources=[])], cmdclass={"build_ext": SwigBuildExt})
