"""milp_market: exact market games among generative-model platforms.

The rooms: ``instance`` (data, validation), ``game`` / ``enumeration`` / ``dynamics`` (exact
semantics), ``search`` and ``formulations`` (the exact methods: support search, one module per
MILP), ``solve`` (certification and orchestration), ``analyze`` (the paper's closed forms), and
the interfaces (``cli``, ``report``, ``sweep``, ``bench``).

The notebook entry points are re-exported here (loaded on first use, so that ``import
milp_market`` stays light):

Examples
--------
>>> import numpy as np
>>> import milp_market as mm
>>> inst = mm.make_instance(np.array([[1.0, 0.9], [0.5, 0.5]]), np.array([0.5, 0.5]), 3)
>>> res = mm.solve_market(inst)
>>> res.status.value, res.best.profile.counts
('equilibrium', (3, 0))
>>> mm.support_search(inst).equilibria
((3, 0),)
"""

from .instance import Instance, InstanceError, load_instance, make_instance

__version__ = "0.1.0"

_LAZY = {
    "solve": ("orchestrate", "solve"),
    "solve_market": ("orchestrate", "solve_market"),
    "VerificationError": ("certify", "VerificationError"),
    "MarketResult": ("results", "MarketResult"),
    "Status": ("results", "Status"),
    "RegretStatus": ("results", "RegretStatus"),
    "ListStatus": ("results", "ListStatus"),
    "DynamicsStatus": ("results", "DynamicsStatus"),
    "support_search": ("search", "support_search"),
    "SupportSearch": ("search", "SupportSearch"),
    "enumerate_profiles": ("enumeration", "enumerate_profiles"),
    "enumerate_equilibria": ("orchestrate", "enumerate_equilibria"),
    "solve_entry": ("entry", "solve_entry"),
    "min_regret": ("regret", "min_regret"),
    "generate": ("generators", "generate"),
    "best_response_dynamics": ("dynamics", "best_response_dynamics"),
}

__all__ = ["Instance", "InstanceError", "load_instance", "make_instance", *_LAZY]


def __getattr__(name):  # PEP 562: import the heavy modules (Pyomo, numba) only when asked
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        value = getattr(importlib.import_module(f".{module}", __name__), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():  # tab completion and dir() list the lazy exports too (PEP 562)
    return sorted(set(globals()) | set(__all__))
