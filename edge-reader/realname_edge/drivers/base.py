"""The interface every card-reader driver offers, and the registry that picks one by name."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from realname_edge.card import CardRecord


class CardReaderDriver(Protocol):
    """A reader the daemon polls; every failure is a ``realname_edge.errors.CardReaderError`` (R2)."""

    def open(self) -> None:
        """Connect to the reader and check that it is one we can use (ReaderNotFound, UnsupportedModel)."""
        ...

    def close(self) -> None: ...

    def read_card(self, timeout: float) -> CardRecord:
        """Wait up to ``timeout`` seconds for a card and read it (NoCard when none is presented in time)."""
        ...

    def describe(self) -> str:
        """One line for logs and the doctor: which driver, which port or file."""
        ...


# A factory takes the driver's target: a serial port for "sam-serial", a samples file ("" = the bundled one)
# for "simulator", part of the reader's name ("" = the first reader) for "pcsc".
DriverFactory = Callable[[str], CardReaderDriver]


def _sam_serial(target: str) -> CardReaderDriver:
    # Imported on use: pyserial is only needed where a real reader is attached.
    from realname_edge.drivers.sam_serial import SamSerialDriver

    return SamSerialDriver(target)


def _simulator(target: str) -> CardReaderDriver:
    from realname_edge.drivers.simulator import SimulatorDriver

    return SimulatorDriver(target or None)


def _pcsc(target: str) -> CardReaderDriver:
    # Imported on use: pyscard needs the PC/SC library, which only machines with such a reader have.
    from realname_edge.drivers.pcsc import PcscDriver

    return PcscDriver(target)


def drivers_by_name() -> dict[str, DriverFactory]:
    return {"sam-serial": _sam_serial, "simulator": _simulator, "pcsc": _pcsc}
