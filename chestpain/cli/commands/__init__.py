"""One module per ``chestpain`` verb."""
