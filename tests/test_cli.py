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
    (["analyze", "nothing_like_this"], "invalid choice: 'nothing_like_this'"),
    (["analyze", "demo", "--no-such-option"], "unrecognized arguments: --no-such-option"),
    (["simulate", "--set", "tau=20xs", "--out", "x.nc"], "tau=20xs: unknown unit 'xs'; allowed: s, ms, us"),
    (["simulate", "--set", "tau=20Hz", "--out", "x.nc"], "tau of LIF takes a time, not a rate (Hz)"),
    (["simulate", "--set", "sigma=2ms", "--out", "x.nc"], "sigma of LIF takes a plain number"),
    (["simulate", "--model", "nsnn", "--set", "beta=1kHz", "--out", "x.nc"], "beta of NSNN takes a plain number"),
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


def test_analyze_help_lists_every_experiment_with_its_one_line_description(capsys):
    from nsnn_sim.experiments import registry

    with pytest.raises(SystemExit) as exit_info:
        main(["analyze", "--help"])
    assert exit_info.value.code == 0
    text = " ".join(capsys.readouterr().out.split()).replace("- ", "-")  # argparse wraps, also after hyphens
    for name, experiment in registry().items():
        assert f"{name} {experiment.description}" in text


@pytest.mark.parametrize("name, options", [("learning", ["--patterns", "--epochs", "--seeds"]),
                                           ("demo", ["--n-neurons", "--duration", "--n-trials"]),
                                           ("robustness", ["--max-epochs", "--attack-samples"])])
def test_an_experiments_own_options_are_in_its_help(name, options, capsys):
    with pytest.raises(SystemExit):
        main(["analyze", name, "--help"])
    text = capsys.readouterr().out
    assert f"options of the {name} experiment" in text and "--quick" in text and "--figure" in text
    assert all(option in text for option in options)
    assert "Examples" not in text  # the module docstring without its doctests


def _captured_run(monkeypatch, name):
    """Replace experiment ``name``'s run by one that records its keywords and returns a tiny Dataset."""
    import xarray as xr

    from nsnn_sim.experiments import get

    calls = []

    def run(**keywords):
        calls.append(keywords)
        return xr.Dataset({"x": ("i", [1.0])})

    monkeypatch.setattr(get(name).module, "run", run)
    return calls


def test_experiment_options_reach_run_the_same_way_from_the_cli_and_from_the_script(tmp_path, monkeypatch):
    """``nsnn-sim analyze learning --epochs 2`` and ``analyses/learning.py --epochs 2`` pass the same
    keywords (one declaration of the options); options not given are left to run and QUICK."""
    from nsnn_sim.experiments import main as script

    calls = _captured_run(monkeypatch, "learning")
    assert main(["-q", "analyze", "learning", "--quick", "--epochs", "2", "--seeds", "1", "--seed", "9",
                 "--out", str(tmp_path)]) == 0
    script("learning", "analyze", ["--quick", "--epochs", "2", "--seeds", "1", "--seed", "9",
                                   "--out", str(tmp_path / "learning.nc")])
    assert calls[0] == calls[1] == {"quick": True, "seed": 9, "epochs": 2, "seeds": 1}
    from nsnn_sim.experiments import load_results

    assert load_results(tmp_path / "results" / "learning.nc").attrs["quick"] == 1  # figures mark quick runs


def test_crossval_takes_the_options_of_its_experiment(tmp_path, monkeypatch):
    from nsnn_sim.experiments import get

    calls = _captured_run(monkeypatch, "crossval_brian2")
    monkeypatch.delattr(get("crossval_brian2").module, "MARKDOWN")  # its table needs the real results
    monkeypatch.setattr("nsnn_sim.experiments.Experiment.draw", lambda self, results, out: out)
    assert main(["-q", "crossval", "--quick", "--only", "NSNN", "Brunel", "--out", str(tmp_path)]) == 0
    assert calls == [{"quick": True, "seed": 0, "only": ["NSNN", "Brunel"]}]


def test_an_experiment_option_with_a_default_is_refused():
    """Options default to None so that run's own and QUICK's sizes apply; a default would hide them."""
    import types

    from nsnn_sim.experiments import check_module

    module = types.ModuleType("fake_experiment")
    module.DESCRIPTION, module.SEED, module.run, module.figure, module.summary = "d", 0, len, len, len
    module.OPTIONS = {"--epochs": {"type": int, "default": 3}}
    with pytest.raises(TypeError, match=r"OPTIONS \['--epochs'\] set a default"):
        check_module(module)
    del module.OPTIONS["--epochs"]["default"]
    assert check_module(module) is module


def test_simulate_help_shows_defaults_and_units(capsys):
    with pytest.raises(SystemExit):
        main(["simulate", "--help"])
    text = capsys.readouterr().out
    for shown in ("(default 100)", "(default 1000;", "(default 0.0)", "tau=0.01 s", "tau_ref=0.0 s", "dt=0.0001 s",
                  "rho_0=100.0 Hz", "sigma=0.5,", "beta=0.5,", "dt=0.001 s", "tau=20ms", "membrane units"):
        assert shown in text, shown


def test_the_units_of_the_model_parameters_come_from_their_docstrings():
    from nsnn_sim.cli import documented_units

    lif, nsnn = documented_units(ns.LIF), documented_units(ns.NSNN)
    assert {name: lif[name] for name in ("tau", "tau_ref", "dt", "rho_0", "sigma", "threshold", "u_reset")} == {
        "tau": "s", "tau_ref": "s", "dt": "s", "rho_0": "Hz", "sigma": "", "threshold": "", "u_reset": ""}
    assert nsnn["dt"] == "s" and nsnn["beta"] == nsnn["noise_scale"] == ""


def test_set_takes_values_with_units_in_si(tmp_path):
    """``--set tau=20ms --set dt=0.1ms`` (and a unit in the TOML file's [model]) build the model of
    tau = 0.02 s, dt = 1e-4 s, exactly as the plain SI numbers would."""
    config = tmp_path / "run.toml"
    config.write_text('[model]\ntau_ref = "2 ms"\nrho_0 = "0.1kHz"\nfiring = "hazard"\nnoise = "none"\n')
    out = tmp_path / "run.nc"
    assert main(["-q", "simulate", "--config", str(config), "--set", "tau=20ms", "--set", "dt=0.1ms",
                 "--set", "delta_u=0.2", "--inputs", "0.9", "--neurons", "2", "--steps", "50", "--out", str(out)]) == 0
    model = ns.load(out).model
    assert (model.tau, model.dt, model.tau_ref, model.rho_0, model.delta_u) == (0.02, 1e-4, 2e-3, 100.0, 0.2)
