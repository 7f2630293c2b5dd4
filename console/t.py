# (msgid) -> (nl, fr); plural entries: msgid tuple -> (nl tuple, fr tuple)
T = {
    "Neighbourhoods": ("Buurten", "Quartiers"),
    "Help": ("Hulp", "Aide"),
    "Sign out": ("Afmelden", "Se déconnecter"),
    "Quit": ("Afsluiten", "Quitter"),
    "Command palette": ("Opdrachtenpalet", "Palette de commandes"),
    "You are signed out.": ("U bent afgemeld.", "Vous êtes déconnecté."),
    "The neighbourhoods your organisation can address": (
        "De buurten die uw organisatie kan bereiken",
        "Les quartiers que votre organisation peut toucher",
    ),
    "End this sign-in": ("Deze aanmelding beëindigen", "Mettre fin à cette connexion"),
    "Show the keys": ("De toetsen tonen", "Afficher les touches"),
    "Change theme": ("Thema wijzigen", "Changer de thème"),
    "Pick a colour theme": ("Een kleurenthema kiezen", "Choisir un thème de couleurs"),
    "Leave the console": ("De console verlaten", "Quitter la console"),
    "Email: ": ("E-mail: ", "E-mail : "),
    "Password for {email}: ": ("Wachtwoord voor {email}: ", "Mot de passe pour {email} : "),
    "warning: {message}": ("waarschuwing: {message}", "avertissement : {message}"),
    "Signed in to {url} as {name} ({organisation}), profile '{profile}'.": (
        "Aangemeld bij {url} als {name} ({organisation}), profiel '{profile}'.",
        "Connecté à {url} en tant que {name} ({organisation}), profil « {profile} ».",
    ),
    "Profile '{profile}' is not signed in.": (
        "Profiel '{profile}' is niet aangemeld.",
        "Le profil « {profile} » n'est pas connecté.",
    ),
    "Signed out of profile '{profile}'.": (
        "Afgemeld van profiel '{profile}'.",
        "Déconnecté du profil « {profile} ».",
    ),
    "User": ("Gebruiker", "Utilisateur"),
    "Organisation": ("Organisatie", "Organisation"),
    "Roles": ("Rollen", "Rôles"),
    "Server": ("Server", "Serveur"),
    "Profile": ("Profiel", "Profil"),
    "Credential": ("Aanmeldgegevens", "Identifiants"),
    "Token scopes": ("Bereik van het token", "Portées du jeton"),
    "No profiles yet. `buurt login --url URL` makes one.": (
        "Nog geen profielen. `buurt login --url URL` maakt er een.",
        "Aucun profil pour l'instant. `buurt login --url URL` en crée un.",
    ),
    "The buurt staff console. With no command, opens the TUI.": (
        "De buurt-console voor medewerkers. Zonder opdracht opent de terminalinterface.",
        "La console buurt du personnel. Sans commande, ouvre l'interface du terminal.",
    ),
    "the profile to use (see `buurt profiles`)": (
        "het te gebruiken profiel (zie `buurt profiles`)",
        "le profil à utiliser (voir `buurt profiles`)",
    ),
    "the server address, overriding the profile's": (
        "het serveradres, in plaats van dat van het profiel",
        "l'adresse du serveur, à la place de celle du profil",
    ),
    "language of the console": ("taal van de console", "langue de la console"),
    "sign in and keep the sign-in safely": (
        "aanmelden en de aanmelding veilig bewaren",
        "se connecter et conserver la connexion en sécurité",
    ),
    "your account's email address": (
        "het e-mailadres van uw account",
        "l'adresse e-mail de votre compte",
    ),
    "read the password from standard input": (
        "het wachtwoord van standaardinvoer lezen",
        "lire le mot de passe sur l'entrée standard",
    ),
    "end the sign-in and forget it": (
        "de aanmelding beëindigen en vergeten",
        "mettre fin à la connexion et l'oublier",
    ),
    "who you are signed in as, and where": (
        "als wie en waar u bent aangemeld",
        "sous quelle identité et où vous êtes connecté",
    ),
    "machine-readable output": ("machineleesbare uitvoer", "sortie lisible par une machine"),
    "list the configured profiles": (
        "de ingestelde profielen tonen",
        "lister les profils configurés",
    ),
    "start a demo server and open the console on it": (
        "een demoserver starten en de console erop openen",
        "démarrer un serveur de démonstration et y ouvrir la console",
    ),
    "start from a fresh database": (
        "met een nieuwe database beginnen",
        "repartir d'une base de données neuve",
    ),
    "error: {message}": ("fout: {message}", "erreur : {message}"),
    "file {path} (readable only by you)": (
        "bestand {path} (alleen door u leesbaar)",
        "fichier {path} (lisible par vous seul)",
    ),
    "system keyring (service '{service}')": (
        "sleutelbos van het systeem (dienst '{service}')",
        "trousseau du système (service « {service} »)",
    ),
    "No system keyring is available, so your sign-in is kept in {path}, readable only by you. Anyone with access to your account can use it.": (
        "Er is geen sleutelbos van het systeem beschikbaar, dus uw aanmelding wordt bewaard in {path}, alleen door u leesbaar. Wie toegang heeft tot uw account, kan ze gebruiken.",
        "Aucun trousseau système n'est disponible : votre connexion est conservée dans {path}, lisible par vous seul. Toute personne ayant accès à votre compte peut l'utiliser.",
    ),
    "The demo runs a server, which is not installed. Install it with: pip install 'buurt[server]'": (
        "De demo draait een server, en die is niet geïnstalleerd. Installeer hem met: pip install 'buurt[server]'",
        "La démo fait tourner un serveur, qui n'est pas installé. Installez-le avec : pip install 'buurt[server]'",
    ),
    "Preparing the demo database in {path}…": (
        "De demodatabase wordt voorbereid in {path}…",
        "Préparation de la base de démonstration dans {path}…",
    ),
    "Starting the demo server on {url}…": (
        "De demoserver start op {url}…",
        "Démarrage du serveur de démonstration sur {url}…",
    ),
    "The demo server did not start; see {log}.": (
        "De demoserver is niet gestart; zie {log}.",
        "Le serveur de démonstration n'a pas démarré ; voir {log}.",
    ),
    "A profile name may hold letters, digits, '.', '_' and '-' only.": (
        "Een profielnaam mag alleen letters, cijfers, '.', '_' en '-' bevatten.",
        "Un nom de profil ne peut contenir que des lettres, des chiffres, « . », « _ » et « - ».",
    ),
    "{path}, line {line}": ("{path}, regel {line}", "{path}, ligne {line}"),
    "Unknown setting '{key}' in profile '{profile}' ({place}).": (
        "Onbekende instelling '{key}' in profiel '{profile}' ({place}).",
        "Paramètre inconnu « {key} » dans le profil « {profile} » ({place}).",
    ),
    "Unknown setting '{key}' ({place}).": (
        "Onbekende instelling '{key}' ({place}).",
        "Paramètre inconnu « {key} » ({place}).",
    ),
    "The config file {path} is not valid TOML: {error}": (
        "Het configuratiebestand {path} is geen geldige TOML: {error}",
        "Le fichier de configuration {path} n'est pas du TOML valide : {error}",
    ),
    "'profiles' must be a table ({path}).": (
        "'profiles' moet een tabel zijn ({path}).",
        "« profiles » doit être une table ({path}).",
    ),
    "Profile '{profile}' has no url ({path}, line {line}).": (
        "Profiel '{profile}' heeft geen url ({path}, regel {line}).",
        "Le profil « {profile} » n'a pas d'url ({path}, ligne {line}).",
    ),
    "The default profile '{profile}' is not defined ({path}, line {line}).": (
        "Het standaardprofiel '{profile}' bestaat niet ({path}, regel {line}).",
        "Le profil par défaut « {profile} » n'est pas défini ({path}, ligne {line}).",
    ),
    "Cannot reach the server at {url}. Check the address and your connection.": (
        "De server op {url} is niet bereikbaar. Controleer het adres en uw verbinding.",
        "Impossible de joindre le serveur à {url}. Vérifiez l'adresse et votre connexion.",
    ),
    "You are not signed in. Run `buurt login` first.": (
        "U bent niet aangemeld. Voer eerst `buurt login` uit.",
        "Vous n'êtes pas connecté. Lancez d'abord `buurt login`.",
    ),
    "The email address or the password is not right.": (
        "Het e-mailadres of het wachtwoord klopt niet.",
        "L'adresse e-mail ou le mot de passe est incorrect.",
    ),
    "Your sign-in has expired. Please sign in again.": (
        "Uw aanmelding is verlopen. Meld u opnieuw aan.",
        "Votre connexion a expiré. Veuillez vous reconnecter.",
    ),
    "Your sign-in is no longer valid. Please sign in again.": (
        "Uw aanmelding is niet meer geldig. Meld u opnieuw aan.",
        "Votre connexion n'est plus valable. Veuillez vous reconnecter.",
    ),
    "Your sign-in was used from somewhere else, so it was ended for safety. Please sign in again.": (
        "Uw aanmelding werd elders gebruikt en is daarom uit veiligheid beëindigd. Meld u opnieuw aan.",
        "Votre connexion a été utilisée ailleurs ; elle a donc été close par sécurité. Veuillez vous reconnecter.",
    ),
    "You are not signed in.": ("U bent niet aangemeld.", "Vous n'êtes pas connecté."),
    "This needs the role {roles}, which your account does not have.": (
        "Hiervoor is de rol {roles} nodig, en die heeft uw account niet.",
        "Il faut pour cela le rôle {roles}, que votre compte n'a pas.",
    ),
    " or ": (" of ", " ou "),
    "Your account's roles do not allow this.": (
        "De rollen van uw account laten dit niet toe.",
        "Les rôles de votre compte ne le permettent pas.",
    ),
    "The API token lacks the scope {scope}.": (
        "Het API-token mist het bereik {scope}.",
        "Le jeton d'API n'a pas la portée {scope}.",
    ),
    "You are not allowed to do this.": (
        "U mag dit niet doen.",
        "Vous n'êtes pas autorisé à faire ceci.",
    ),
    "This does not exist, or it is not visible to your organisation.": (
        "Dit bestaat niet, of het is niet zichtbaar voor uw organisatie.",
        "Ceci n'existe pas, ou n'est pas visible pour votre organisation.",
    ),
    (
        "Too many attempts. Try again in {n} second.",
        "Too many attempts. Try again in {n} seconds.",
    ): (
        (
            "Te veel pogingen. Probeer opnieuw over {n} seconde.",
            "Te veel pogingen. Probeer opnieuw over {n} seconden.",
        ),
        (
            "Trop de tentatives. Réessayez dans {n} seconde.",
            "Trop de tentatives. Réessayez dans {n} secondes.",
        ),
    ),
    "Too many attempts. Try again later.": (
        "Te veel pogingen. Probeer later opnieuw.",
        "Trop de tentatives. Réessayez plus tard.",
    ),
    "The server refused the input: {detail}": (
        "De server weigerde de invoer: {detail}",
        "Le serveur a refusé la saisie : {detail}",
    ),
    "The server refused the input.": (
        "De server weigerde de invoer.",
        "Le serveur a refusé la saisie.",
    ),
    "Someone else changed this in the meantime.": (
        "Iemand anders heeft dit intussen gewijzigd.",
        "Quelqu'un d'autre a modifié ceci entre-temps.",
    ),
    "This conflicts with what is already there.": (
        "Dit botst met wat er al is.",
        "Ceci entre en conflit avec ce qui existe déjà.",
    ),
    "The server is temporarily unavailable. Try again in a moment.": (
        "De server is tijdelijk niet beschikbaar. Probeer het zo opnieuw.",
        "Le serveur est temporairement indisponible. Réessayez dans un instant.",
    ),
    "The server ran into an error. Try again; if it persists, tell your admin.": (
        "Er liep iets mis op de server. Probeer opnieuw; blijft het, verwittig dan uw beheerder.",
        "Le serveur a rencontré une erreur. Réessayez ; si cela persiste, prévenez votre administrateur.",
    ),
    "The server refused the request ({status}).": (
        "De server weigerde het verzoek ({status}).",
        "Le serveur a refusé la demande ({status}).",
    ),
    "Close": ("Sluiten", "Fermer"),
    "Keys": ("Toetsen", "Touches"),
    "Key": ("Toets", "Touche"),
    "What it does": ("Wat ze doet", "Ce qu'elle fait"),
    "Ctrl+P opens the command palette: type to find any screen or action.": (
        "Ctrl+P opent het opdrachtenpalet: typ om een scherm of actie te vinden.",
        "Ctrl+P ouvre la palette de commandes : tapez pour trouver un écran ou une action.",
    ),
    "Press Escape to close.": ("Druk op Escape om te sluiten.", "Appuyez sur Échap pour fermer."),
    "Sign in to buurt": ("Aanmelden bij buurt", "Se connecter à buurt"),
    "Email": ("E-mail", "E-mail"),
    "you@city.example": ("u@stad.example", "vous@ville.example"),
    "Password": ("Wachtwoord", "Mot de passe"),
    "Sign in": ("Aanmelden", "Se connecter"),
    "The server address must start with http:// or https://.": (
        "Het serveradres moet beginnen met http:// of https://.",
        "L'adresse du serveur doit commencer par http:// ou https://.",
    ),
    "Enter the email address of your account.": (
        "Vul het e-mailadres van uw account in.",
        "Saisissez l'adresse e-mail de votre compte.",
    ),
    "Enter your password.": ("Vul uw wachtwoord in.", "Saisissez votre mot de passe."),
    "Reload": ("Herladen", "Recharger"),
    "Filter": ("Filteren", "Filtrer"),
    "Clear filter": ("Filter wissen", "Effacer le filtre"),
    "Filter neighbourhoods by name": ("Buurten filteren op naam", "Filtrer les quartiers par nom"),
    "Neighbourhood": ("Buurt", "Quartier"),
    "Total households": ("Gezinnen in totaal", "Ménages au total"),
    "Neighbourhoods of {organisation}": (
        "Buurten van {organisation}",
        "Quartiers de {organisation}",
    ),
    "Press r to try again.": ("Druk op r om opnieuw te proberen.", "Appuyez sur r pour réessayer."),
    (
        "{count} neighbourhood, {households} households in all",
        "{count} neighbourhoods, {households} households in all",
    ): (
        (
            "{count} buurt, {households} gezinnen in totaal",
            "{count} buurten, {households} gezinnen in totaal",
        ),
        (
            "{count} quartier, {households} ménages au total",
            "{count} quartiers, {households} ménages au total",
        ),
    ),
    "connected": ("verbonden", "connecté"),
    "connecting…": ("verbinden…", "connexion…"),
    "offline, retrying": ("offline, nieuwe poging…", "hors ligne, nouvel essai…"),
    "usage: ": ("gebruik: ", "utilisation : "),
    "positional arguments": ("positionele argumenten", "arguments positionnels"),
    "options": ("opties", "options"),
    "show this help message and exit": (
        "deze hulp tonen en stoppen",
        "afficher cette aide et quitter",
    ),
    "argument %(argument_name)s: %(message)s": (
        "argument %(argument_name)s: %(message)s",
        "argument %(argument_name)s : %(message)s",
    ),
    "unrecognized arguments: %s": ("onbekende argumenten: %s", "arguments non reconnus : %s"),
    "the following arguments are required: %s": (
        "deze argumenten zijn verplicht: %s",
        "les arguments suivants sont obligatoires : %s",
    ),
    "expected one argument": ("één argument verwacht", "un argument attendu"),
    "invalid choice: %(value)r (choose from %(choices)s)": (
        "ongeldige keuze: %(value)r (kies uit %(choices)s)",
        "choix invalide : %(value)r (choisir parmi %(choices)s)",
    ),
    "invalid %(type)s value: %(value)r": (
        "ongeldige %(type)s-waarde: %(value)r",
        "valeur %(type)s invalide : %(value)r",
    ),
    "%(prog)s: error: %(message)s\n": (
        "%(prog)s: fout: %(message)s\n",
        "%(prog)s : erreur : %(message)s\n",
    ),
}
T["show the version and exit"] = ("de versie tonen en stoppen", "afficher la version et quitter")
T.update(
    {
        " Did you mean {names}?": (" Bedoelde u {names}?", " Vouliez-vous dire {names} ?"),
        " and ": (" en ", " et "),
        "(no text)": ("(geen tekst)", "(pas de texte)"),
        "(no title)": ("(geen titel)", "(pas de titre)"),
        "A call for ideas needs a deadline.": (
            "Een ideeënoproep heeft een deadline nodig.",
            "Un appel à idées a besoin d'une date limite.",
        ),
        "A citizen budget needs an amount and a deadline.": (
            "Een burgerbudget heeft een bedrag en een deadline nodig.",
            "Un budget participatif a besoin d'un montant et d'une date limite.",
        ),
        "A survey needs at least one question and a closing time.": (
            "Een bevraging heeft minstens één vraag en een sluitingstijd nodig.",
            "Une enquête a besoin d'au moins une question et d'une heure de clôture.",
        ),
        "Alert": ("Waarschuwing", "Alerte"),
        "All": ("Alle", "Tous"),
        "All states": ("Alle statussen", "Tous les états"),
        "Already done earlier with the same idempotency key: nothing new was sent.": (
            "Eerder al gedaan met dezelfde idempotentiesleutel: er is niets nieuws verstuurd.",
            "Déjà fait plus tôt avec la même clé d'idempotence : rien de nouveau n'a été envoyé.",
        ),
        "An alert needs an urgency.": (
            "Een waarschuwing heeft een dringendheid nodig.",
            "Une alerte a besoin d'un niveau d'urgence.",
        ),
        "An event needs a place, a start and an end time.": (
            "Een evenement heeft een plaats, een begin- en een einduur nodig.",
            "Un événement a besoin d'un lieu, d'une heure de début et de fin.",
        ),
        "Announcement": ("Aankondiging", "Annonce"),
        "Back": ("Terug", "Retour"),
        "Budget in euros": ("Budget in euro", "Budget en euros"),
        "By {name}": ("Door {name}", "Par {name}"),
        "Call for ideas": ("Ideeënoproep", "Appel à idées"),
        "Cancel": ("Annuleren", "Annuler"),
        "Cannot read {path}: {reason}": (
            "Kan {path} niet lezen: {reason}",
            "Impossible de lire {path} : {reason}",
        ),
        "Choose at least one neighbourhood.": (
            "Kies minstens één buurt.",
            "Choisissez au moins un quartier.",
        ),
        "Citizen budget": ("Burgerbudget", "Budget participatif"),
        "City messages": ("Berichten van de stad", "Messages de la ville"),
        "Closes (YYYY-MM-DD HH:MM)": ("Sluit (JJJJ-MM-DD UU:MM)", "Clôture (AAAA-MM-JJ HH:MM)"),
        "Compose": ("Schrijven", "Rédiger"),
        "Date": ("Datum", "Date"),
        "Deadline (YYYY-MM-DD HH:MM)": (
            "Deadline (JJJJ-MM-DD UU:MM)",
            "Date limite (AAAA-MM-JJ HH:MM)",
        ),
        "Draft": ("Klad", "Brouillon"),
        "Dry run: nothing was sent.": (
            "Proefdraai: er is niets verstuurd.",
            "Essai à blanc : rien n'a été envoyé.",
        ),
        "Duplicate": ("Dupliceren", "Dupliquer"),
        "Each survey question needs at least two choices.": (
            "Elke vraag van de bevraging heeft minstens twee keuzes nodig.",
            "Chaque question de l'enquête a besoin d'au moins deux choix.",
        ),
        "Edit": ("Bewerken", "Modifier"),
        "Edit message #{id}": ("Bericht #{id} bewerken", "Modifier le message n°{id}"),
        "Ends (YYYY-MM-DD HH:MM)": ("Einde (JJJJ-MM-DD UU:MM)", "Fin (AAAA-MM-JJ HH:MM)"),
        "Event": ("Evenement", "Événement"),
        "High": ("Hoog", "Haute"),
        (
            "It goes to {count} neighbourhood and reaches {registered} registered households (of {total}).",
            "It goes to {count} neighbourhoods and reaches {registered} registered households (of {total}).",
        ): (
            (
                "Het gaat naar {count} buurt en bereikt {registered} geregistreerde gezinnen (van {total}).",
                "Het gaat naar {count} buurten en bereikt {registered} geregistreerde gezinnen (van {total}).",
            ),
            (
                "Il part vers {count} quartier et touche {registered} ménages inscrits (sur {total}).",
                "Il part vers {count} quartiers et touche {registered} ménages inscrits (sur {total}).",
            ),
        ),
        "Keep mine": ("Mijn versie houden", "Garder la mienne"),
        "Kind": ("Soort", "Type"),
        "Low": ("Laag", "Basse"),
        "Medium": ("Gemiddeld", "Moyenne"),
        "Message #{id} is withdrawn.": (
            "Bericht #{id} is ingetrokken.",
            "Le message n°{id} est retiré.",
        ),
        "Messages": ("Berichten", "Messages"),
        "New": ("Nieuw", "Nouveau"),
        "New message": ("Nieuw bericht", "Nouveau message"),
        "No messages yet. Press n to write one.": (
            "Nog geen berichten. Druk op n om er een te schrijven.",
            "Pas encore de messages. Appuyez sur n pour en écrire un.",
        ),
        "No messages.": ("Geen berichten.", "Aucun message."),
        "No neighbourhood called '{name}' that you may address.": (
            "Geen buurt '{name}' die u mag bereiken.",
            "Aucun quartier « {name} » que vous pouvez toucher.",
        ),
        "None": ("Geen", "Aucun"),
        "Only drafts and scheduled messages can be edited.": (
            "Alleen kladberichten en geplande berichten kunnen worden bewerkt.",
            "Seuls les brouillons et les messages programmés peuvent être modifiés.",
        ),
        "Only published or scheduled messages can be withdrawn.": (
            "Alleen gepubliceerde of geplande berichten kunnen worden ingetrokken.",
            "Seuls les messages publiés ou programmés peuvent être retirés.",
        ),
        "Open": ("Openen", "Ouvrir"),
        "Place": ("Plaats", "Lieu"),
        "Preview": ("Voorbeeld", "Aperçu"),
        "Preview in {lang} · {kind}": ("Voorbeeld in {lang} · {kind}", "Aperçu en {lang} · {kind}"),
        "Publish": ("Publiceren", "Publier"),
        "Publish now, or YYYY-MM-DD HH:MM": (
            "Nu publiceren, of JJJJ-MM-DD UU:MM",
            "Publier maintenant, ou AAAA-MM-JJ HH:MM",
        ),
        "Publish “{title}” now?": ("“{title}” nu publiceren?", "Publier « {title} » maintenant ?"),
        "Publish, schedule or save a city message. Re-running the same command sends nothing new: the idempotency key is derived from the content.": (
            "Een bericht van de stad publiceren, plannen of bewaren. Dezelfde opdracht opnieuw uitvoeren verstuurt niets nieuws: de idempotentiesleutel wordt uit de inhoud afgeleid.",
            "Publier, programmer ou enregistrer un message de la ville. Relancer la même commande n'envoie rien de nouveau : la clé d'idempotence est dérivée du contenu.",
        ),
        "Published": ("Gepubliceerd", "Publié"),
        "Published late: the server was down at the scheduled time.": (
            "Laat gepubliceerd: de server lag plat op het geplande tijdstip.",
            "Publié en retard : le serveur était arrêté à l'heure prévue.",
        ),
        "Published message #{id} “{title}”.": (
            "Bericht #{id} “{title}” gepubliceerd.",
            "Message n°{id} « {title} » publié.",
        ),
        "Published “{title}”.": ("“{title}” gepubliceerd.", "« {title} » publié."),
        "Published, scheduled and draft messages": (
            "Gepubliceerde, geplande en kladberichten",
            "Messages publiés, programmés et brouillons",
        ),
        "Publishing needs an idempotency key, so that a retry never sends twice.": (
            "Publiceren vraagt een idempotentiesleutel, zodat een nieuwe poging nooit twee keer verstuurt.",
            "Publier demande une clé d'idempotence, pour qu'un nouvel essai n'envoie jamais deux fois.",
        ),
        "Questions, one per line: Question? | choice | choice": (
            "Vragen, één per regel: Vraag? | keuze | keuze",
            "Questions, une par ligne : Question ? | choix | choix",
        ),
        "Reach": ("Bereik", "Portée"),
        "Reach: {registered} of {total} households": (
            "Bereik: {registered} van {total} gezinnen",
            "Portée : {registered} sur {total} ménages",
        ),
        (
            "Reach: {registered} registered households (of {total}) in {count} neighbourhood",
            "Reach: {registered} registered households (of {total}) in {count} neighbourhoods",
        ): (
            (
                "Bereik: {registered} geregistreerde gezinnen (van {total}) in {count} buurt",
                "Bereik: {registered} geregistreerde gezinnen (van {total}) in {count} buurten",
            ),
            (
                "Portée : {registered} ménages inscrits (sur {total}) dans {count} quartier",
                "Portée : {registered} ménages inscrits (sur {total}) dans {count} quartiers",
            ),
        ),
        (
            "Reach: {registered} registered households of {total} in {count} neighbourhood.",
            "Reach: {registered} registered households of {total} in {count} neighbourhoods.",
        ): (
            (
                "Bereik: {registered} geregistreerde gezinnen van {total} in {count} buurt.",
                "Bereik: {registered} geregistreerde gezinnen van {total} in {count} buurten.",
            ),
            (
                "Portée : {registered} ménages inscrits sur {total} dans {count} quartier.",
                "Portée : {registered} ménages inscrits sur {total} dans {count} quartiers.",
            ),
        ),
        "Residents will no longer see it. This cannot be undone.": (
            "Bewoners zien het dan niet meer. Dit kan niet ongedaan worden gemaakt.",
            "Les habitants ne le verront plus. Impossible de revenir en arrière.",
        ),
        "Restore": ("Terugzetten", "Restaurer"),
        "Restore the unsent message you were writing?": (
            "Het niet-verstuurde bericht terugzetten waaraan u schreef?",
            "Restaurer le message non envoyé que vous rédigiez ?",
        ),
        "Save draft": ("Klad bewaren", "Enregistrer le brouillon"),
        "Saved at {time}: “{title}”": (
            "Bewaard om {time}: “{title}”",
            "Enregistré à {time} : « {title} »",
        ),
        "Saved draft #{id} “{title}”.": (
            "Klad #{id} “{title}” bewaard.",
            "Brouillon n°{id} « {title} » enregistré.",
        ),
        "Saved “{title}” as a draft.": (
            "“{title}” als klad bewaard.",
            "« {title} » enregistré comme brouillon.",
        ),
        "Schedule": ("Plannen", "Programmer"),
        "Schedule “{title}” for {when}?": (
            "“{title}” plannen voor {when}?",
            "Programmer « {title} » pour le {when} ?",
        ),
        "Scheduled": ("Gepland", "Programmé"),
        "Scheduled message #{id} “{title}” for {when}.": (
            "Bericht #{id} “{title}” gepland voor {when}.",
            "Message n°{id} « {title} » programmé pour le {when}.",
        ),
        "Scheduled “{title}”.": ("“{title}” gepland.", "« {title} » programmé."),
        "Search": ("Zoeken", "Rechercher"),
        "Someone": ("Iemand", "Quelqu'un"),
        "Starts (YYYY-MM-DD HH:MM)": ("Begin (JJJJ-MM-DD UU:MM)", "Début (AAAA-MM-JJ HH:MM)"),
        "State": ("Status", "État"),
        "State filter": ("Statusfilter", "Filtre d'état"),
        "Survey": ("Bevraging", "Enquête"),
        "Take theirs": ("Hun versie nemen", "Prendre la leur"),
        "Targets": ("Doelen", "Cibles"),
        "Targets: {targets}": ("Doelen: {targets}", "Cibles : {targets}"),
        "The text in {lang} is empty.": (
            "De tekst in {lang} is leeg.",
            "Le texte en {lang} est vide.",
        ),
        "The title in {lang} is empty.": (
            "De titel in {lang} is leeg.",
            "Le titre en {lang} est vide.",
        ),
        "Theirs (version {version})": (
            "Hun versie (versie {version})",
            "La leur (version {version})",
        ),
        "This idempotency key was already used for a different message. Use a new key, or send exactly the same message.": (
            "Deze idempotentiesleutel werd al gebruikt voor een ander bericht. Gebruik een nieuwe sleutel, of verstuur precies hetzelfde bericht.",
            "Cette clé d'idempotence a déjà servi pour un autre message. Utilisez une nouvelle clé, ou envoyez exactement le même message.",
        ),
        "This is not possible in the message's current state.": (
            "Dit kan niet in de huidige status van het bericht.",
            "Ce n'est pas possible dans l'état actuel du message.",
        ),
        "Title": ("Titel", "Titre"),
        "Unknown kind '{kind}'.": ("Onbekende soort '{kind}'.", "Type inconnu « {kind} »."),
        "Urgency": ("Dringendheid", "Urgence"),
        "Withdraw": ("Intrekken", "Retirer"),
        "Withdraw “{title}”?": ("“{title}” intrekken?", "Retirer « {title} » ?"),
        "Withdrawn": ("Ingetrokken", "Retiré"),
        "Withdrawn “{title}”.": ("“{title}” ingetrokken.", "« {title} » retiré."),
        "Words in the title or text": ("Woorden in de titel of tekst", "Mots du titre ou du texte"),
        "Write a message to one, some or all neighbourhoods": (
            "Een bericht schrijven aan één, enkele of alle buurten",
            "Écrire un message à un, plusieurs ou tous les quartiers",
        ),
        "Write a title and a text in at least one language.": (
            "Schrijf een titel en een tekst in minstens één taal.",
            "Écrivez un titre et un texte dans au moins une langue.",
        ),
        "Write the time as YYYY-MM-DD HH:MM, for example 2026-12-01 06:00.": (
            "Schrijf het tijdstip als JJJJ-MM-DD UU:MM, bijvoorbeeld 2026-12-01 06:00.",
            "Écrivez l'heure sous la forme AAAA-MM-JJ HH:MM, par exemple 2026-12-01 06:00.",
        ),
        "Yes": ("Ja", "Oui"),
        "Your organisation may not address {names}.": (
            "Uw organisatie mag {names} niet bereiken.",
            "Votre organisation ne peut pas toucher {names}.",
        ),
        "Yours": ("Uw versie", "La vôtre"),
        "a message file: markdown with a TOML front matter": (
            "een berichtbestand: markdown met een TOML-kop",
            "un fichier de message : du markdown avec un en-tête TOML",
        ),
        "alert: urgency": ("waarschuwing: dringendheid", "alerte : niveau d'urgence"),
        "all": ("alle", "tous"),
        "call for ideas or budget: deadline": (
            "ideeënoproep of budget: deadline",
            "appel à idées ou budget : date limite",
        ),
        "call for ideas or budget: euros": (
            "ideeënoproep of budget: euro",
            "appel à idées ou budget : euros",
        ),
        "default: derived from the content": (
            "standaard: afgeleid uit de inhoud",
            "par défaut : dérivée du contenu",
        ),
        "event: end time": ("evenement: einduur", "événement : heure de fin"),
        "event: start time": ("evenement: beginuur", "événement : heure de début"),
        "event: where": ("evenement: waar", "événement : où"),
        "how many (at most 200)": ("hoeveel (hoogstens 200)", "combien (200 au plus)"),
        "kind of message (default: announcement)": (
            "soort bericht (standaard: aankondiging)",
            "type de message (par défaut : annonce)",
        ),
        "list, show or withdraw city messages": (
            "berichten van de stad tonen of intrekken",
            "lister, afficher ou retirer les messages de la ville",
        ),
        "one message in full": ("één bericht volledig", "un message en entier"),
        "only those to this neighbourhood": (
            "alleen die aan deze buurt",
            "seulement ceux vers ce quartier",
        ),
        "print the reach, send nothing": (
            "het bereik tonen, niets versturen",
            "afficher la portée, ne rien envoyer",
        ),
        "publish a city message to one, some or all neighbourhoods": (
            "een bericht van de stad publiceren naar één, enkele of alle buurten",
            "publier un message de la ville vers un, plusieurs ou tous les quartiers",
        ),
        "publish later (municipality's time)": (
            "later publiceren (tijd van de gemeente)",
            "publier plus tard (heure de la commune)",
        ),
        "save as a draft, do not publish": (
            "als klad bewaren, niet publiceren",
            "enregistrer comme brouillon, ne pas publier",
        ),
        "survey: closing time": ("bevraging: sluitingstijd", "enquête : heure de clôture"),
        "take a message back": ("een bericht intrekken", "retirer un message"),
        "target neighbourhoods (default: all)": (
            "doelbuurten (standaard: alle)",
            "quartiers visés (par défaut : tous)",
        ),
        "text (markdown), per language": (
            "tekst (markdown), per taal",
            "texte (markdown), par langue",
        ),
        "text from a file": ("tekst uit een bestand", "texte depuis un fichier"),
        "the organisation's messages, newest first": (
            "de berichten van de organisatie, nieuwste eerst",
            "les messages de l'organisation, les plus récents d'abord",
        ),
        "title, per language": ("titel, per taal", "titre, par langue"),
        "words in the title or text": ("woorden in de titel of tekst", "mots du titre ou du texte"),
        "{name} changed this message while you were editing it.": (
            "{name} heeft dit bericht gewijzigd terwijl u het bewerkte.",
            "{name} a modifié ce message pendant que vous le modifiiez.",
        ),
        "{path}: the front matter has no closing +++.": (
            "{path}: de kop heeft geen afsluitende +++.",
            "{path} : l'en-tête n'a pas de +++ de fermeture.",
        ),
        "{path}: the front matter is not valid TOML: {error}": (
            "{path}: de kop is geen geldige TOML: {error}",
            "{path} : l'en-tête n'est pas du TOML valide : {error}",
        ),
    }
)
T.update(
    {
        "#{id} is a duplicate of…": ("#{id} is een dubbel van…", "N°{id} est un doublon de…"),
        "A colleague changed #{id} while you were looking at it.": (
            "Een collega wijzigde #{id} terwijl u ernaar keek.",
            "Un collègue a modifié le n°{id} pendant que vous le regardiez.",
        ),
        "A submission that is {current} can only become: {allowed}.": (
            "Een melding die {current} is, kan alleen nog worden: {allowed}.",
            "Un signalement « {current} » ne peut devenir que : {allowed}.",
        ),
        "Acknowledge": ("Bevestigen", "Accuser réception"),
        "Acknowledged": ("Ontvangst bevestigd", "Reçu"),
        "Age": ("Leeftijd", "Âge"),
        "Apply mine on top": ("Mijn wijziging erbovenop", "Appliquer la mienne par-dessus"),
        "Assign": ("Toewijzen", "Attribuer"),
        "Assign #{id} to": ("#{id} toewijzen aan", "Attribuer le n°{id} à"),
        "Assign to me": ("Aan mij toewijzen", "M'attribuer"),
        "Assigned to me": ("Aan mij toegewezen", "Attribués à moi"),
        "Assignee": ("Behandelaar", "Responsable"),
        "Assignee: nobody": ("Behandelaar: niemand", "Responsable : personne"),
        "Assignee: {value}": ("Behandelaar: {value}", "Responsable : {value}"),
        "Bulk change": ("Samen wijzigen", "Modifier en lot"),
        "CSV on standard output": ("CSV op standaarduitvoer", "CSV sur la sortie standard"),
        "Category": ("Categorie", "Catégorie"),
        ("Change {n} submission", "Change {n} submissions"): (
            ("{n} melding wijzigen", "{n} meldingen wijzigen"),
            ("Modifier {n} signalement", "Modifier {n} signalements"),
        ),
        "Drop mine": ("Mijn wijziging laten vallen", "Abandonner la mienne"),
        "Duplicate of #{id}": ("Dubbel van #{id}", "Doublon du n°{id}"),
        "Export": ("Exporteren", "Exporter"),
        "Exported {rows} submissions to {path}.": (
            "{rows} meldingen geëxporteerd naar {path}.",
            "{rows} signalements exportés vers {path}.",
        ),
        "Exporting to {path}…": ("Exporteren naar {path}…", "Export vers {path}…"),
        "History": ("Geschiedenis", "Historique"),
        "Idea": ("Idee", "Idée"),
        "Ideas": ("Ideeën", "Idées"),
        "In progress": ("In behandeling", "En cours"),
        "Inbox": ("Inbox", "Boîte de réception"),
        "Internal note on #{id}": ("Interne notitie bij #{id}", "Note interne sur le n°{id}"),
        "Location: {place}": ("Plaats: {place}", "Lieu : {place}"),
        "New status for #{id}": ("Nieuwe status voor #{id}", "Nouvel état pour le n°{id}"),
        "No likely originals nearby. Search for it and note its number.": (
            "Geen waarschijnlijke originelen in de buurt. Zoek het en noteer het nummer.",
            "Aucun original probable à proximité. Cherchez-le et notez son numéro.",
        ),
        "No single colleague matches '{name}'.": (
            "Geen enkele collega past precies bij '{name}'.",
            "Aucun collègue ne correspond exactement à « {name} ».",
        ),
        "No submissions match.": ("Geen meldingen gevonden.", "Aucun signalement trouvé."),
        "Nobody": ("Niemand", "Personne"),
        "Normal": ("Normaal", "Normale"),
        "Note": ("Notitie", "Note"),
        "Nothing here. Press v to change the view.": (
            "Niets hier. Druk op v voor een andere weergave.",
            "Rien ici. Appuyez sur v pour changer de vue.",
        ),
        "Now (version {version})": ("Nu (versie {version})", "Maintenant (version {version})"),
        "Only staff see this.": ("Alleen medewerkers zien dit.", "Seul le personnel le voit."),
        "Overdue": ("Te laat", "En retard"),
        "Overdue: no response within the target.": (
            "Te laat: geen antwoord binnen de termijn.",
            "En retard : pas de réponse dans le délai.",
        ),
        "Press F5 to try again.": (
            "Druk op F5 om opnieuw te proberen.",
            "Appuyez sur F5 pour réessayer.",
        ),
        "Priority": ("Prioriteit", "Priorité"),
        "Priority of #{id}": ("Prioriteit van #{id}", "Priorité du n°{id}"),
        "Priority: {value}": ("Prioriteit: {value}", "Priorité : {value}"),
        "Public reply to #{id}": ("Publiek antwoord op #{id}", "Réponse publique au n°{id}"),
        "Rejected": ("Afgewezen", "Refusé"),
        "Reply": ("Antwoorden", "Répondre"),
        "Report": ("Melding", "Signalement"),
        "Reporter: {who}": ("Melder: {who}", "Auteur : {who}"),
        "Reports": ("Meldingen", "Signalements"),
        "Reports and ideas": ("Meldingen en ideeën", "Signalements et idées"),
        "Resolved": ("Opgelost", "Résolu"),
        "Same category, close by, recent, still open.": (
            "Zelfde categorie, dichtbij, recent, nog open.",
            "Même catégorie, à proximité, récent, encore ouvert.",
        ),
        "Say what to change: --status, --priority, --assignee, --reply or --note.": (
            "Zeg wat er moet veranderen: --status, --priority, --assignee, --reply of --note.",
            "Dites quoi changer : --status, --priority, --assignee, --reply ou --note.",
        ),
        "Select": ("Selecteren", "Sélectionner"),
        "Select a submission to see it here.": (
            "Kies een melding om ze hier te zien.",
            "Choisissez un signalement pour le voir ici.",
        ),
        "Send": ("Versturen", "Envoyer"),
        "Send (Ctrl+S)": ("Versturen (Ctrl+S)", "Envoyer (Ctrl+S)"),
        "Status": ("Status", "État"),
        "Status: {value}": ("Status: {value}", "État : {value}"),
        "Submission #{id} is now {status}.": (
            "Melding #{id} is nu {status}.",
            "Le signalement n°{id} est maintenant {status}.",
        ),
        "The resident sees this.": ("De bewoner ziet dit.", "L'habitant le voit."),
        "Triage residents' reports and ideas": (
            "Meldingen en ideeën van bewoners behandelen",
            "Traiter les signalements et idées des habitants",
        ),
        "Urgent": ("Dringend", "Urgente"),
        "View": ("Weergave", "Vue"),
        "Where: {place}": ("Waar: {place}", "Où : {place}"),
        "Words in the description or address": (
            "Woorden in de beschrijving of het adres",
            "Mots de la description ou de l'adresse",
        ),
        "Your change": ("Uw wijziging", "Votre modification"),
        "a public reply the resident sees": (
            "een publiek antwoord dat de bewoner ziet",
            "une réponse publique que l'habitant voit",
        ),
        "an internal note": ("een interne notitie", "une note interne"),
        "change status, assignee or priority; reply; note": (
            "status, behandelaar of prioriteit wijzigen; antwoorden; notitie",
            "changer état, responsable ou priorité ; répondre ; noter",
        ),
        "file to write": ("bestand om te schrijven", "fichier à écrire"),
        "how many at most": ("hoeveel hoogstens", "combien au plus"),
        "internal note": ("interne notitie", "note interne"),
        "nobody": ("niemand", "personne"),
        "note": ("notitie", "note"),
        "one submission with its history": (
            "één melding met haar geschiedenis",
            "un signalement avec son historique",
        ),
        "only those past their response target": (
            "alleen die over hun antwoordtermijn",
            "seulement ceux qui ont dépassé leur délai",
        ),
        "public reply": ("publiek antwoord", "réponse publique"),
        "received": ("ontvangen", "reçu"),
        "repeat for several": ("herhaal voor meerdere", "à répéter pour plusieurs"),
        "reply": ("antwoord", "réponse"),
        "submissions, newest first": (
            "meldingen, nieuwste eerst",
            "signalements, les plus récents d'abord",
        ),
        "the filtered inbox as a CSV file": (
            "de gefilterde inbox als CSV-bestand",
            "la boîte filtrée en fichier CSV",
        ),
        "the inbox of reports and ideas": (
            "de inbox van meldingen en ideeën",
            "la boîte des signalements et idées",
        ),
        "words in the description or address": (
            "woorden in de beschrijving of het adres",
            "mots de la description ou de l'adresse",
        ),
        "{n} d": ("{n} d", "{n} j"),
        "{n} h": ("{n} u", "{n} h"),
        "{n} min": ("{n} min", "{n} min"),
        ("{n} not changed", "{n} not changed"): (
            ("{n} niet gewijzigd", "{n} niet gewijzigd"),
            ("{n} non modifié", "{n} non modifiés"),
        ),
        ("{n} selected", "{n} selected"): (
            ("{n} geselecteerd", "{n} geselecteerd"),
            ("{n} sélectionné", "{n} sélectionnés"),
        ),
        ("{ok} changed", "{ok} changed"): (
            ("{ok} gewijzigd", "{ok} gewijzigd"),
            ("{ok} modifié", "{ok} modifiés"),
        ),
    }
)
T.update(
    {
        "Active this week": ("Actief deze week", "Actifs cette semaine"),
        "Activities (RSVPs)": ("Activiteiten (inschrijvingen)", "Activités (inscriptions)"),
        "Charts, neighbourhoods compared, topics": (
            "Grafieken, buurten vergeleken, onderwerpen",
            "Graphiques, quartiers comparés, sujets",
        ),
        "City message views": ("Weergaven van stadsberichten", "Vues des messages de la ville"),
        "Comments": ("Reacties", "Commentaires"),
        "Contributors this month": ("Bijdragers deze maand", "Contributeurs ce mois-ci"),
        "Dashboard": ("Dashboard", "Tableau de bord"),
        "Export CSV": ("CSV exporteren", "Exporter en CSV"),
        "Figures, {period}": ("Cijfers, {period}", "Chiffres, {period}"),
        "Figures, {period} · {state} · Ctrl-C to stop": (
            "Cijfers, {period} · {state} · Ctrl-C om te stoppen",
            "Chiffres, {period} · {state} · Ctrl-C pour arrêter",
        ),
        "Filling 90 days of neighbourhood activity…": (
            "90 dagen buurtactiviteit worden aangevuld…",
            "Remplissage de 90 jours d'activité de quartier…",
        ),
        "Help requests": ("Hulpvragen", "Demandes d'aide"),
        "Help requests (solved)": ("Hulpvragen (opgelost)", "Demandes d'aide (résolues)"),
        "Households": ("Gezinnen", "Ménages"),
        "Interactions per household": ("Interacties per gezin", "Interactions par ménage"),
        "Invitation code: {invitation}\nOrganic: {organic}": (
            "Uitnodigingscode: {invitation}\nSpontaan: {organic}",
            "Code d'invitation : {invitation}\nSpontané : {organic}",
        ),
        "Live figures of your neighbourhoods": (
            "Live cijfers van uw buurten",
            "Chiffres en direct de vos quartiers",
        ),
        "Metric": ("Maat", "Mesure"),
        "Neighbour helpers / volunteers": (
            "Burenhelpers / vrijwilligers",
            "Voisins aidants / bénévoles",
        ),
        "New connections": ("Nieuwe contacten", "Nouveaux liens"),
        "New households": ("Nieuwe gezinnen", "Nouveaux ménages"),
        "New households by channel": ("Nieuwe gezinnen per kanaal", "Nouveaux ménages par canal"),
        "New households: invitation / organic": (
            "Nieuwe gezinnen: uitnodiging / spontaan",
            "Nouveaux ménages : invitation / spontané",
        ),
        "New reports and ideas": ("Nieuwe meldingen en ideeën", "Nouveaux signalements et idées"),
        "No data yet.": ("Nog geen gegevens.", "Pas encore de données."),
        "No posts yet.": ("Nog geen berichten.", "Pas encore de publications."),
        "Offline encounters": ("Ontmoetingen in het echt", "Rencontres en vrai"),
        "Period": ("Periode", "Période"),
        "Posts": ("Berichten", "Publications"),
        "Proposals / votes": ("Voorstellen / stemmen", "Propositions / votes"),
        "Reactions": ("Reacties (likes)", "Réactions"),
        "Recent city messages": ("Recente stadsberichten", "Messages récents de la ville"),
        "Registered": ("Geregistreerd", "Inscrits"),
        "Registered households": ("Geregistreerde gezinnen", "Ménages inscrits"),
        "Saved {path}.": ("{path} bewaard.", "{path} enregistré."),
        "Share": ("Aandeel", "Part"),
        "Sort": ("Sorteren", "Trier"),
        "Statistics": ("Statistieken", "Statistiques"),
        "Statistics · {period}": ("Statistieken · {period}", "Statistiques · {period}"),
        "Survey responses": ("Antwoorden op bevragingen", "Réponses aux enquêtes"),
        "Topic: {topic}": ("Onderwerp: {topic}", "Sujet : {topic}"),
        "Topics of posts": ("Onderwerpen van berichten", "Sujets des publications"),
        "Views": ("Weergaven", "Vues"),
        "a live view until Ctrl-C": (
            "een live weergave tot Ctrl-C",
            "une vue en direct jusqu'à Ctrl-C",
        ),
        "day": ("dag", "jour"),
        "engagement figures of your neighbourhoods": (
            "betrokkenheidscijfers van uw buurten",
            "chiffres d'engagement de vos quartiers",
        ),
        "last 30 days": ("laatste 30 dagen", "30 derniers jours"),
        "last 7 days": ("laatste 7 dagen", "7 derniers jours"),
        "last 90 days": ("laatste 90 dagen", "90 derniers jours"),
        "last year": ("afgelopen jaar", "dernière année"),
        "live": ("live", "en direct"),
        "reconnecting…": ("opnieuw verbinden…", "reconnexion…"),
        "week": ("week", "semaine"),
        "{metric} per {unit}: {total} in all": (
            "{metric} per {unit}: {total} in totaal",
            "{metric} par {unit} : {total} au total",
        ),
        "{n} new, waiting for a first response": (
            "{n} nieuw, wachten op een eerste antwoord",
            "{n} nouveaux, en attente d'une première réponse",
        ),
        "{organisation} · {period}": ("{organisation} · {period}", "{organisation} · {period}"),
    }
)
T.update(
    {
        "All neighbourhoods": ("Alle buurten", "Tous les quartiers"),
        "Share of households registered": (
            "Aandeel geregistreerde gezinnen",
            "Part des ménages inscrits",
        ),
    }
)
