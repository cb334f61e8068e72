"""The package as users meet it: help() text, type stubs that match the code, the shipped rules, and
`import graft` from an install prefix (cmake --install, when ctest gives the build tree)."""
import ast
import inspect
import os
import pathlib
import subprocess
import sys

import pytest

import graft


def test_help_texts():
    for obj in (graft, graft.plan, graft.Plan, graft.Plan.apply, graft.Plan.json, graft.Plan.write, graft.read,
                graft.rules_path, graft.Error):
        assert inspect.getdoc(obj), obj
    assert "PRETRAINED_LAYERS" not in graft.__doc__  # repository notes live in docs/python.md
    assert "load_state_dict" in graft.__doc__


def test_stubs_match_the_package():
    stub = pathlib.Path(graft.__file__).with_name("__init__.pyi")
    tree = ast.parse(stub.read_text())
    names = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    assert set(graft.__all__) <= names
    plan_stub = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Plan")
    stub_members = {n.name for n in plan_stub.body if isinstance(n, ast.FunctionDef)}
    public = {n for n in vars(graft.Plan) if not n.startswith("_")}
    assert public == stub_members
    assert pathlib.Path(graft.__file__).with_name("py.typed").exists()


def test_shipped_rules():
    path = graft.rules_path("pose/dekr_coco_to_crowdpose.graft")
    assert os.path.isfile(path)
    with pytest.raises(graft.UsageError, match="no shipped rules file"):
        graft.rules_path("pose/nothing.graft")


@pytest.mark.skipif("GRAFT_BUILD_DIR" not in os.environ, reason="needs the build tree (run by ctest)")
def test_import_from_install_prefix(tmp_path, tiny):
    rules, path, _, _ = tiny
    prefix = tmp_path / "prefix"
    subprocess.run(["cmake", "--install", os.environ["GRAFT_BUILD_DIR"], "--prefix", str(prefix),
                    "--component", "graft_python"], check=True, capture_output=True)
    found = list(prefix.glob("lib/python3*/site-packages/graft/__init__.py"))
    assert len(found) == 1, list(prefix.rglob("*"))
    site = found[0].parent.parent
    script = ("import graft, sys; p = graft.plan(sys.argv[1], sys.argv[2], sys.argv[2]); "
              "assert graft.__file__.startswith(sys.argv[3]), graft.__file__; "
              "assert graft.rules_path('pose').startswith(sys.argv[3]); print(p.ok)")
    env = dict(os.environ, PYTHONPATH=str(site))
    done = subprocess.run([sys.executable, "-c", script, str(rules), str(path), str(site)], env=env,
                          capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
