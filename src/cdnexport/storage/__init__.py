"""Where finished workbooks live, and the links customers download them with."""
