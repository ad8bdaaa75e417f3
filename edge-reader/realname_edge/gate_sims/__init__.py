"""Simulated face gates that behave like the real ones, failures included: for tests, benchmarks and demos.

``device.SimulatedDevice`` is the terminal's memory and behaviour (people, faces, capacity, photo rules, clock
drift, offline); ``isapi`` serves it as a Hikvision ISAPI terminal, ``zkteco`` drives it as a ZKTeco PUSH
terminal polling a server, ``native`` connects it to the platform's broker as a native gate.
"""
