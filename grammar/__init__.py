"""The Lark grammar of the delivery URL, shipped as package data (`edge.grammar`)."""
