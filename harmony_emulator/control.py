"""`/_emulator/...`: what tests drive the emulator with (faults, capabilities, publication, jobs, stats).
Not part of NASA's protocols."""

from __future__ import annotations

import json

from harmony_emulator.http_base import EmulatorHandler
from harmony_emulator.netcdf import real_sizes, set_granule_sizes


class EmulatorControl(EmulatorHandler):
    def control(self, method: str, path: str, body: bytes) -> None:
        if path == "/_emulator/stats":
            return self.send_json(200, self.state.stats)
        if path == "/_emulator/faults" and method == "POST":
            try:
                self.state.set_rules(json.loads(body or b"[]"))
            except (ValueError, TypeError) as error:
                return self.send_json(400, {"error": str(error)})
            return self.send_json(200, {"faults": len(self.state.rules)})
        if path == "/_emulator/publication" and method == "POST":
            try:
                spec = json.loads(body or b"{}")
                self.state.set_publication(
                    spec.get("delay_s"),
                    spec.get("holds", []),
                    spec.get("standard_delay_s"),
                    spec.get("nrt_window_days"),
                    restore_delays=bool(spec.get("restore_delays")),
                )
            except (ValueError, TypeError, KeyError, AttributeError) as error:
                return self.send_json(400, {"error": f"{type(error).__name__}: {error}"})
            return self.send_json(200, {"holds": len(self.state.holds)})
        if path == "/_emulator/republished" and method == "POST":
            try:
                self.state.set_republished(json.loads(body or b"[]"))
            except (ValueError, TypeError, KeyError, AttributeError) as error:
                return self.send_json(400, {"error": f"{type(error).__name__}: {error}"})
            return self.send_json(200, {"republished": len(self.state.republished)})
        if path == "/_emulator/o3tot_overwrite" and method == "POST":
            try:
                overwritten = json.loads(body or b"{}").get("overwritten", True)
            except (ValueError, AttributeError) as error:
                return self.send_json(400, {"error": str(error)})
            if not isinstance(overwritten, bool):
                return self.send_json(400, {"error": "overwritten must be true or false"})
            self.state.set_o3tot_overwritten(overwritten)
            return self.send_json(200, {"overwritten": overwritten})
        if path == "/_emulator/jobs/finish" and method == "POST":
            return self.send_json(200, {"finished": self.state.finish_jobs()})
        if path == "/_emulator/capabilities" and method == "POST":
            try:
                self.state.set_capabilities(json.loads(body or b"{}"))
            except (ValueError, TypeError, AttributeError) as error:
                return self.send_json(400, {"error": str(error)})
            return self.send_json(200, {"default": self.state.default_capabilities})
        if path == "/_emulator/granule_sizes" and method == "POST":
            try:
                set_granule_sizes(json.loads(body or b"{}").get("sizes"))
            except (ValueError, AttributeError) as error:
                return self.send_json(400, {"error": str(error)})
            return self.send_json(200, {"real": real_sizes()})
        if path == "/_emulator/reset" and method == "POST":
            set_granule_sizes(None)
            self.state.reset()
            return self.send_json(200, {"reset": True})
        return self.send_json(404, {"error": "unknown emulator control path"})
