"""`buurt web`: the console served to browsers (textual-serve), one process per tab.

- `command`: the `buurt web` subcommand (its options; imports the rest only when run).
- `server`: the web server, built on textual-serve's Server and AppService: a throwaway
  config and data dir per tab, a sign-out when the tab closes, the Origin checked, a
  Content-Security-Policy, limits on consoles and idle time.
- `tab`: what each tab runs (`python -m console.web.tab`): the console, signed in to the one
  server `buurt web` was given, with nothing kept beyond the tab.

textual-serve comes with the `web` extra (`pip install 'buurt[web]'`).
"""
