from scimdock.cli import main

raise SystemExit(main())
