"""The nsnn-sim command and the reproduce pipeline (at a tiny size)."""

import subprocess
import sys

import pytest

import nsnn_sim as ns
from nsnn_sim.cli import main
from nsnn_sim.reproduce import reproduce

COMMANDS = ["simulate", "sweep", "analyze", "figures", "reproduce", "crossval", "warmup", "bench"]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    assert "usage: nsnn-sim" in capsys.readouterr().out


def test_simulate_from_a_toml_file(tmp_path):
    config = tmp_path / "run.toml"
    config.write_text('[model]\nkind = "NSNN"\nnoise = "logistic"\nfiring = "escape"\n\n'
                      "[run]\nneurons = 20\nsteps = 300\ntrials = 2\nseed = 4\ninputs = 0.5\n")
    out = tmp_path / "run.nc"
    assert main(["simulate", "--config", str(config), "--set", "noise_scale=0.3", "--out", str(out)]) == 0
    loaded = ns.load(out)
    assert loaded.model.noise == "logistic" and loaded.model.noise_scale == 0.3 and loaded.seed == 4
    assert loaded.spikes.shape == (2, 20, 300)


@pytest.mark.parametrize("arguments, message", [
    (["simulate", "--model", "hh", "--out", "x.nc"], "is not a model"),
    (["simulate", "--set", "tau=-1", "--out", "x.nc"], "tau=-1 must be > 0"),
    (["simulate", "--set", "tau", "--out", "x.nc"], "NAME=VALUE"),
    (["simulate", "--config", "missing.toml", "--out", "x.nc"], "no such file"),
    (["sweep", "--store", "s", "--grid", "beta=1,2"], "takes mu and sigma"),
    (["analyze", "nothing_like_this"], "no experiment 'nothing_like_this'"),
    (["reproduce", "--only", "nothing"], "no experiment 'nothing'"),
])
def test_bad_input_gives_one_line_and_exit_code_2(tmp_path, monkeypatch, capsys, arguments, message):
    monkeypatch.chdir(tmp_path)
    assert main(arguments) == 2
    error = capsys.readouterr().err.strip()
    assert message in error and len(error.splitlines()) == 1


def test_console_script_is_installed():
    completed = subprocess.run([sys.executable, "-m", "nsnn_sim.cli", "--help"], capture_output=True, text=True)
    assert completed.returncode == 0 and "reproduce" in completed.stdout


def test_reproduce_runs_experiments_figures_and_report_at_a_tiny_size(tmp_path):
    report = reproduce("quick", only=["demo", "variability"], out=tmp_path)
    text = report.read_text()
    assert (tmp_path / "figures" / "out" / "demo.png").exists()
    assert (tmp_path / "figures" / "out" / "variability.png").exists()
    assert "## demo" in text and "## variability" in text and "Siegert rate" in text
    assert "`python analyses/variability.py --quick`" in text and "`nsnn-sim analyze variability --quick`" in text


def test_every_experiment_is_discovered_with_its_scripts():
    """The registry is discovered from nsnn_sim/experiments; every experiment has its thin scripts in
    analyses/ and figures/, and no script lacks an experiment."""
    from pathlib import Path

    from nsnn_sim.experiments import registry

    root = Path(__file__).resolve().parents[1]
    names = set(registry())
    assert {"demo", "lif_convergence", "variability", "tuning", "decoding", "sampling", "learning",
            "crossval_brian2", "brian2_identity"} <= names
    assert {p.stem for p in (root / "analyses").glob("*.py")} == names
    assert {p.stem for p in (root / "figures").glob("*.py")} == names
    for experiment in registry().values():
        assert experiment.description and callable(experiment.module.run) and callable(experiment.module.figure)


def test_analyze_and_figures_write_under_the_output_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["analyze", "demo", "--quick", "--out", "run"]) == 0
    assert (tmp_path / "run" / "results" / "demo.nc").exists()
    assert main(["figures", "--out", "run"]) == 0
    assert (tmp_path / "run" / "figures" / "out" / "demo.png").stat().st_size > 10_000


@pytest.mark.parametrize("toml, message", [
    ("[run]\nneurons = 1.5\n", "[run] neurons = 1.5 must be a whole number"),
    ("[run]\nneurons = true\n", "[run] neurons = True must be a whole number"),
    ("[run]\nsteps = 'abc'\n", "[run] steps = 'abc' must be a whole number"),
    ("model = 5\n", "[model] in --config must be a table"),
    ("[model]\nkind = 5\n", "--model 5 is not a model"),
    ("[run]\nneuron = 5\n", "[run] has unknown keys ['neuron']"),
])
def test_bad_config_values_give_one_line_naming_the_key(tmp_path, monkeypatch, capsys, toml, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "run.toml").write_text(toml)
    assert main(["simulate", "--config", "run.toml", "--out", "x.nc"]) == 2
    error = capsys.readouterr().err.strip()
    assert message in error and len(error.splitlines()) == 1
    assert not (tmp_path / "x.nc").exists()


def test_bad_paths_give_one_line_naming_the_option(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "binary.toml").write_bytes(bytes(range(256)))
    (tmp_path / "a_file").write_text("")
    (tmp_path / "folder").mkdir()
    cases = [
        (["simulate", "--config", "binary.toml", "--out", "x.nc"], "not a text (UTF-8) TOML file"),
        (["simulate", "--config", "folder", "--out", "x.nc"], "is a directory, not a TOML file"),
        (["simulate", "--out", "folder"], "--out folder: is a directory"),
        (["simulate", "--out", "a_file/x.nc"], "a_file is a file, not a folder"),
        (["sweep", "--store", "a_file", "--grid", "mu=1", "--grid", "sigma=0.5"], "--store a_file: is a file"),
        (["analyze", "demo", "--out", "a_file"], "--out a_file: a_file is a file"),
        (["figures", "--out", "a_file/sub"], "a_file is a file"),
    ]
    for arguments, message in cases:
        assert main(arguments) == 2, arguments
        error = capsys.readouterr().err.strip()
        assert message in error and len(error.splitlines()) == 1, (arguments, error)


def test_reproduce_skips_an_experiment_whose_extra_is_missing(tmp_path, monkeypatch, caplog):
    """From a plain install (no brian2), reproduce skips the Brian2 experiments and says so."""
    import logging

    from nsnn_sim.experiments import get

    brian2_identity = get("brian2_identity")
    monkeypatch.setattr(brian2_identity.module, "REQUIRES", {"a_module_that_is_not_installed": "brian2"})
    assert brian2_identity.missing_extras == ["brian2"]
    with caplog.at_level(logging.WARNING, logger="nsnn_sim"):
        report = reproduce("quick", only=["brian2_identity"], out=tmp_path)
    assert "brian2_identity skipped: it needs the extra brian2" in caplog.text
    assert "## brian2_identity" not in report.read_text()


def test_quick_mode_sizes_apply_through_the_scripts(tmp_path):
    """analyses/demo.py --quick runs the quick size (its options default to None, so QUICK applies)."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    out = tmp_path / "demo.nc"
    subprocess.run([sys.executable, str(root / "analyses" / "demo.py"), "--quick", "--out", str(out)], check=True,
                   capture_output=True, timeout=300)
    assert ns.load(out).spikes.n_neurons == 300
