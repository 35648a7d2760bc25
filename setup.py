"""Copy the bundled data into the package when a wheel is built (non-editable installs).

In a source checkout ``simtrials.datasets`` reads ``data/`` directly; an installed wheel has
no ``data/`` beside it, so ``build_py`` copies it to ``simtrials/_data``.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

DATA = Path(__file__).resolve().parent / "data"
KEEP = ("trials.parquet", "SOURCES.md", "eval", "samples", "vectors")


class build_py_with_data(build_py):
    def run(self):
        super().run()
        if self.editable_mode:
            return
        target = Path(self.build_lib) / "simtrials" / "_data"
        target.mkdir(parents=True, exist_ok=True)
        for name in KEEP:
            src = DATA / name
            if src.is_dir():
                shutil.copytree(src, target / name, dirs_exist_ok=True)
            elif src.is_file():
                shutil.copy2(src, target / name)


setup(cmdclass={"build_py": build_py_with_data})
