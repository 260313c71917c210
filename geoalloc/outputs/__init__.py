"""What a stakeholder reads: the map, the report and the terminal lines, built from results only."""
