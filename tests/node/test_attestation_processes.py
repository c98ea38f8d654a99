"""Attested batches between real validator processes: a batch's signatures are checked by
its author and one designated attestor; the two other validators admit it on the
attestation (libra.mempool.attestation), seen through each node's metrics."""

from __future__ import annotations

import node.test_processes as processes
from libra.types import TREASURY_COMPLIANCE_ADDRESS
from node.test_processes import Net, metric, rpc, version, wait_for

net = processes.net  # the same fixture: a 4-validator network, killed at the end

MINTS = 20


def total(net: Net, name: str) -> float:
    return sum(metric(p, f"libra_mempool_{name}") for p in net.api)


def test_peer_batches_are_admitted_on_attestations(net: Net) -> None:
    for i in range(4):
        net.start(i)
    wait_for("all validators ready", lambda: all(version(p) for p in net.api))
    # The attestation setup waits for each node's epoch: let them all commit a block first.
    wait_for("blocks committed", lambda: all((version(p) or 0) > 2 for p in net.api))
    for _ in range(MINTS):
        rpc(net.api[0], "submit", net.mint_txn(10))
    last = TREASURY_COMPLIANCE_ADDRESS.hex()
    for p in net.api:
        wait_for(
            "mints committed", lambda p=p: rpc(p, "get_account_transaction", last, MINTS - 1, False)
        )
    wait_for("batches settled", lambda: total(net, "pending_batches") == 0)
    attested = total(net, "batches_admitted_by_attestation")
    fallback = total(net, "batches_admitted_by_fallback")
    # Every batch reached three receivers; one of them checked it as attestor.
    assert total(net, "batches_checked_as_attestor") >= 1
    assert total(net, "attestations_sent") >= 1
    assert attested >= 1, (attested, fallback)
    # Receivers checked far fewer signatures than the three each of every mint would take.
    assert total(net, "signatures_verified") < 3 * MINTS
    assert total(net, "attestations_dropped") == 0
    for i in range(4):
        assert net.stop(i) == 0, net.log(i)
