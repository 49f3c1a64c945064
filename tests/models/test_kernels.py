"""The GPU-kernel selection for Mamba-2 and the DeltaNet family (models/kernels.py), checked on the CPU.

The kernels themselves (fla's and mamba_ssm's) run only on a GPU:
benchmarks/gpu_check_arch.py compares them with our path there.
"""

from __future__ import annotations

import pytest
import torch

from automata_probe.cli import main
from automata_probe.errors import ModelError
from automata_probe.models import ModelConfig, build_model, select_recurrence
from automata_probe.models import kernels

ARCHS = ("mamba2", "deltanet", "gated-deltanet", "deltaproduct")


@pytest.mark.parametrize("arch", ARCHS)
def test_auto_and_torch_pick_ours_on_the_cpu(arch):
    for neg in (False, True):
        # on the CPU auto takes our compiled recurrence where it runs, else the chunked PyTorch path
        assert select_recurrence("auto", arch, on_cuda=False, negative_eigenvalues=neg, compiled_runs=True) == "compiled"
        assert select_recurrence("auto", arch, on_cuda=False, negative_eigenvalues=neg, compiled_runs=False) == "torch"
        assert select_recurrence("torch", arch, on_cuda=False, negative_eigenvalues=neg, compiled_runs=True) == "torch"
        assert select_recurrence("torch", arch, on_cuda=True, negative_eigenvalues=neg, kernel_imports=True) == "torch"
        assert select_recurrence("compiled", arch, on_cuda=True, negative_eigenvalues=neg,
                                 compiled_runs=True) == "compiled"
    # on CUDA with the library importable, auto takes the kernel (mamba2: unless negative eigenvalues)
    assert select_recurrence("auto", arch, on_cuda=True, kernel_imports=True) == "kernel"
    assert select_recurrence("auto", arch, on_cuda=True, kernel_imports=False) == "torch"
    assert select_recurrence("auto", arch, on_cuda=True, negative_eigenvalues=True, kernel_imports=True) == (
        "torch" if arch == "mamba2" else "kernel")


@pytest.mark.parametrize("arch", ARCHS)
def test_cuda_backend_without_what_it_needs_is_one_clear_error(arch):
    with pytest.raises(ModelError, match="CUDA tensors .*pip install 'automata-probe\\[gpu\\]'"):
        select_recurrence("cuda", arch, on_cuda=False)
    with pytest.raises(ModelError, match="does not import here"):
        select_recurrence("cuda", arch, on_cuda=True, kernel_imports=False)
    assert select_recurrence("cuda", arch, on_cuda=True, kernel_imports=True) == "kernel"
    with pytest.raises(ModelError, match="unknown backend"):
        select_recurrence("triton", arch, on_cuda=False)


@pytest.mark.parametrize("arch", ARCHS)
def test_compiled_backend_where_it_cannot_run_is_one_clear_error(arch):
    with pytest.raises(ModelError, match="backend 'compiled' needs .*_crec"):
        select_recurrence("compiled", arch, on_cuda=False, compiled_runs=False)


def test_mamba2_kernel_refuses_negative_eigenvalues():
    with pytest.raises(ModelError, match="negative eigenvalues"):
        select_recurrence("cuda", "mamba2", on_cuda=True, negative_eigenvalues=True, kernel_imports=True)


def test_auto_on_the_cpu_imports_no_kernel_library(monkeypatch):
    def boom():
        raise AssertionError("a kernel library was imported on the CPU path")

    monkeypatch.setattr(kernels, "_fla_ops", boom)
    monkeypatch.setattr(kernels, "_mamba_ssm_ssd", boom)
    for arch in ARCHS:
        model = build_model(ModelConfig(arch=arch, vocab_size=4, n_outputs=3, d_model=8, n_layers=1, n_heads=2,
                                        d_state=4), seed=0)
        model.set_backend("auto")
        out = model(torch.randint(0, 4, (2, 5)))
        assert out.shape == (2, 5, 3) and torch.isfinite(out).all()


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the error a CPU-only machine gives")
def test_set_backend_cuda_on_a_cpu_machine_raises():
    model = build_model(ModelConfig(arch="deltanet", vocab_size=4, n_outputs=3, d_model=8, n_layers=1, n_heads=2),
                        seed=0)
    with pytest.raises(ModelError, match="needs CUDA"):
        model.set_backend("cuda")
    model.set_backend("torch")
    assert all(b.mixer_.backend == "torch" for b in model.blocks)


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the error a CPU-only machine gives")
def test_train_backend_cuda_without_a_gpu_exits_2_with_one_line(tmp_path, capsys):
    code = main(["train", "--dfa", "parity", "--arch", "deltanet", "--backend", "cuda", "--steps", "1",
                 "-o", str(tmp_path / "m.pt")])
    err = capsys.readouterr().err
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and "needs CUDA" in err and "automata-probe[gpu]" in err
    assert not (tmp_path / "m.pt").exists()
    code = main(["train", "--dfa", "parity", "--arch", "lstm", "--backend", "cuda", "-o", str(tmp_path / "m.pt")])
    assert code == 2
