"""The terminal screen of kog-agent: watch and steer a repair as it happens (Textual)."""
