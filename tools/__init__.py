"""Tools run from the checkout (the Makefile), not part of the installed
package: the wheel carries none of them."""
