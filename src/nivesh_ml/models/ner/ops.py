"""Matrix products of the NER network through NumPy's BLAS (OpenBLAS) instead of thinc's bundled BLIS.

thinc's CPU backend multiplies with BLIS, whose generic kernels on this class of machine (AMD EPYC, AVX-512) run at
about a quarter of OpenBLAS's speed single-threaded (26 vs 93 GFLOPS on the NER's own 2,816 x 288 x 288 products;
measured in docs/benchmarks/ner.md). The matrix products are most of the statistical NER's time, so the pipeline's
models use thinc's own ``NumpyOps(use_blis=False)``, which hands them to ``numpy.dot``. Same arithmetic in float32;
the results differ from BLIS's only in rounding order.
"""

from __future__ import annotations

from spacy.language import Language
from thinc.api import NumpyOps

_OPS = NumpyOps(use_blis=False)


def use_numpy_blas(nlp: Language) -> Language:
    """Every thinc model of ``nlp``'s components computes with NumPy's BLAS from now on (returns ``nlp``)."""
    for _, component in nlp.pipeline:
        model = getattr(component, "model", None)
        if model is not None and hasattr(model, "walk"):
            for node in model.walk():
                node.ops = _OPS
    return nlp
