"""libra: a Libra-style payment network, byte-compatible with Diem.

Subsystems live in their own packages (see the README and DESIGN): ``bcs`` (canonical
encoding), ``crypto`` (hashing, Ed25519), ``types`` (wire and ledger types), and the node's
packages built on them.
"""

__version__ = "0.1.0"
