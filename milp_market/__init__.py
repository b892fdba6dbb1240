"""milp_market: exact market games among generative-model platforms, solved as MILPs.

Four rooms: ``instance`` (data, validation), ``game`` / ``enumeration`` / ``dynamics`` (exact
semantics), ``formulations`` (Pyomo model builders, one module per MILP), and the interfaces
(``solve`` orchestration, ``cli``).
"""

from .instance import Instance, InstanceError, load_instance, make_instance

__all__ = ["Instance", "InstanceError", "load_instance", "make_instance"]
__version__ = "0.1.0"
