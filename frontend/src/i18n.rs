//! Every sentence of the interface, in English and French.
//!
//! Fixed texts are keys of `Msg`, each declared with both translations (`messages!` refuses
//! an entry that lacks one, and a new `Lang` leaves every `match` below incomplete): a
//! missing translation is a compile error. Texts with a number or a name in them are
//! functions of `Lang`. `Sentence` is a notice kept by the playground's state, written out
//! in the language of the moment, so that switching language rewrites the banners too.
//!
//! The language comes from the choice remembered in localStorage, else from the browser
//! (`navigator.languages`), else English. `LangCtx` hands it to components with a callback
//! that switches it; `current()` gives it to code outside components (the terminal link).

use std::cell::Cell;

pub use quai_protocol::Lang;
use yew::prelude::*;

use crate::services::api::ApiFailure;

macro_rules! messages {
    ($( $(#[$doc:meta])* $key:ident { en: $en:expr, fr: $fr:expr $(,)? } )*) => {
        /// A fixed text of the interface.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Msg {
            $( $(#[$doc])* $key, )*
        }

        impl Msg {
            /// Every key, to test them all.
            pub const ALL: &'static [Msg] = &[ $( Msg::$key, )* ];

            /// The text in `lang`.
            pub fn get(self, lang: Lang) -> &'static str {
                match self {
                    $( Msg::$key => match lang {
                        Lang::En => $en,
                        Lang::Fr => $fr,
                    }, )*
                }
            }
        }
    };
}

messages! {
    // The language switch.
    LanguageLabel { en: "Language", fr: "Langue" }
    LangName { en: "English", fr: "Français" }

    // Home page.
    HomeTitle { en: "Quai — Docker playground", fr: "Quai — bac à sable Docker" }
    Pitch { en: "Real Linux containers with Docker, in your browser", fr: "De vrais conteneurs Linux avec Docker, dans votre navigateur" }
    StartPlayground { en: "Start a playground", fr: "Démarrer un bac à sable" }
    StartShell { en: "or start a shell-only playground (no Docker)", fr: "ou un bac à sable shell seul (sans Docker)" }
    FactFresh { en: "A fresh Linux node with Docker inside, ready in seconds", fr: "Un nœud Linux neuf avec Docker dedans, prêt en quelques secondes" }
    FactNodes { en: "Several nodes that reach each other by name, several terminals on each", fr: "Plusieurs nœuds qui se joignent par leur nom, plusieurs terminaux sur chacun" }
    FactNothing { en: "Nothing to install: a terminal in this page", fr: "Rien à installer\u{a0}: un terminal dans cette page" }
    FactRemoved { en: "Everything is removed when the session ends", fr: "Tout est supprimé à la fin de la session" }
    NoRoom { en: "No room right now", fr: "Pas de place pour le moment" }
    Retry { en: "Retry", fr: "Réessayer" }
    BackHome { en: "Back to the home page", fr: "Retour à l’accueil" }
    Starting { en: "Starting…", fr: "Démarrage…" }

    // The lesson catalog.
    LessonsHeading { en: "Lessons", fr: "Leçons" }
    LessonsIntro { en: "Step-by-step exercises on real containers. Each one checks your work as you go.", fr: "Des exercices pas à pas sur de vrais conteneurs. Chacun vérifie votre travail au fur et à mesure." }
    LessonsLoading { en: "Loading the lessons…", fr: "Chargement des leçons…" }
    LessonsFailed { en: "The lessons could not be loaded.", fr: "Les leçons n’ont pas pu être chargées." }
    NoLessons { en: "No lesson is installed on this server yet.", fr: "Aucune leçon n’est encore installée sur ce serveur." }
    StartLesson { en: "Start", fr: "Commencer" }
    ContinueLesson { en: "Continue", fr: "Continuer" }
    ReviewLesson { en: "Review", fr: "Revoir" }
    LessonDone { en: "Completed", fr: "Terminée" }
    CannotStart { en: "Cannot start here", fr: "Impossible à lancer ici" }
    WithDocker { en: "Docker", fr: "Docker" }
    ShellOnly { en: "Shell", fr: "Shell" }

    // The display name.
    NameLabel { en: "Your name", fr: "Votre nom" }
    NamePlaceholder { en: "optional", fr: "facultatif" }
    NameTitle { en: "Shown to your instructor, if you have one. Leave it empty to stay anonymous.", fr: "Visible par votre formateur, si vous en avez un. Laissez vide pour rester anonyme." }
    NameSave { en: "Save", fr: "Enregistrer" }
    NameSaved { en: "Saved", fr: "Enregistré" }
    NameFailed { en: "Your name could not be saved", fr: "Votre nom n’a pas pu être enregistré" }

    // A lesson's first page.
    LessonLoading { en: "Opening the lesson…", fr: "Ouverture de la leçon…" }
    LessonNotFound { en: "There is no lesson at this address.", fr: "Il n’y a pas de leçon à cette adresse." }
    AllLessons { en: "All lessons", fr: "Toutes les leçons" }
    StartTheLesson { en: "Start the lesson", fr: "Commencer la leçon" }
    ContinueSession { en: "Continue where you left off", fr: "Reprendre là où vous en étiez" }
    NewSession { en: "Start again in a new session", fr: "Recommencer dans une nouvelle session" }
    FreshNodes { en: "Your progress is kept. A new session starts from fresh nodes: run earlier steps again if a later one needs what they made.", fr: "Votre progression est conservée. Une nouvelle session part de nœuds neufs\u{a0}: refaites les étapes précédentes si une étape suivante a besoin de ce qu’elles ont créé." }
    StartFailed { en: "The lesson could not start", fr: "La leçon n’a pas pu démarrer" }

    // The lesson beside the terminals.
    Intro { en: "Introduction", fr: "Introduction" }
    Finish { en: "Finish", fr: "Fin" }
    Previous { en: "Previous", fr: "Précédent" }
    Next { en: "Next", fr: "Suivant" }
    NextStep { en: "Next step", fr: "Étape suivante" }
    Check { en: "Check", fr: "Vérifier" }
    Checking { en: "Checking…", fr: "Vérification…" }
    CheckAgain { en: "Check again", fr: "Vérifier à nouveau" }
    NotYet { en: "Not yet", fr: "Pas encore" }
    CheckTimedOut { en: "The check ran out of time: what it waits for may not be ready yet. Check again in a moment.", fr: "La vérification a manqué de temps\u{a0}: ce qu’elle attend n’est peut-être pas encore prêt. Réessayez dans un instant." }
    CheckFailed { en: "The check could not run", fr: "La vérification n’a pas pu être lancée" }
    StepPassedBadge { en: "Passed", fr: "Réussie" }
    Locked { en: "Pass the steps before this one to open it.", fr: "Réussissez les étapes précédentes pour ouvrir celle-ci." }
    PassToContinue { en: "Pass the check to go on.", fr: "Réussissez la vérification pour continuer." }
    NotChecked { en: "Nothing to check on this step: read it, try it, and go on.", fr: "Rien à vérifier à cette étape\u{a0}: lisez, essayez, puis continuez." }
    Untranslated { en: "This page is not translated into English yet: it is shown in French.", fr: "Cette page n’est pas encore traduite\u{a0}: elle s’affiche en anglais." }
    RunTitle { en: "Click to run in the terminal", fr: "Cliquez pour l’exécuter dans le terminal" }
    RunLabel { en: "Run", fr: "Exécuter" }
    PortLinkNeedsPlayground { en: "Opens a port of the lesson's playground: start the lesson to use it", fr: "Ouvre un port du bac à sable de la leçon\u{a0}: commencez la leçon pour l’utiliser" }
    Copy { en: "Copy", fr: "Copier" }
    Copied { en: "Copied", fr: "Copié" }
    LessonPanel { en: "Lesson", fr: "Leçon" }
    StepsNav { en: "Steps", fr: "Étapes" }
    RestartLesson { en: "Start the lesson again", fr: "Relancer la leçon" }
    ProgressKept { en: "Your progress in this lesson is kept.", fr: "Votre progression dans cette leçon est conservée." }

    // The playground.
    OpeningSession { en: "Opening the session…", fr: "Ouverture de la session…" }
    Ended { en: "ended", fr: "terminée" }
    Ending { en: "Ending…", fr: "Fin en cours…" }
    EndSession { en: "End session", fr: "Terminer la session" }
    Reconnecting { en: "Reconnecting…", fr: "Reconnexion…" }
    ConnConnecting { en: "connecting…", fr: "connexion…" }
    ConnConnected { en: "connected", fr: "connecté" }
    ConnReconnecting { en: "reconnecting…", fr: "reconnexion…" }
    ConnDisconnected { en: "disconnected", fr: "déconnecté" }
    Dismiss { en: "Dismiss", fr: "Fermer" }
    CountdownTitle { en: "Time left before the session and its containers are removed", fr: "Temps restant avant la suppression de la session et de ses conteneurs" }
    Extend { en: "Extend", fr: "Prolonger" }
    Extending { en: "Extending…", fr: "Prolongation…" }
    ExtendTitle { en: "Give this session more time", fr: "Donner plus de temps à cette session" }
    MaxReached { en: "Maximum lifetime reached", fr: "Durée maximale atteinte" }
    ProfileDockerTitle { en: "Each node runs Docker Engine: docker and docker compose work", fr: "Chaque nœud fait tourner Docker Engine\u{a0}: docker et docker compose fonctionnent" }
    ProfileShellTitle { en: "Each node is a plain Linux shell, without Docker", fr: "Chaque nœud est un simple shell Linux, sans Docker" }
    Nodes { en: "Nodes", fr: "Nœuds" }
    AddNode { en: "+ Add node", fr: "+ Ajouter un nœud" }
    AddingNode { en: "Adding node…", fr: "Ajout du nœud…" }
    AddNodeTitle { en: "Start one more node in this session", fr: "Démarrer un nœud de plus dans cette session" }
    AddTerminal { en: "+ terminal", fr: "+ terminal" }
    FontSize { en: "Terminal font size", fr: "Taille du texte du terminal" }
    Smaller { en: "Smaller text", fr: "Texte plus petit" }
    Larger { en: "Larger text", fr: "Texte plus grand" }
    Paste { en: "Paste", fr: "Coller" }
    CopyKeys { en: "Ctrl+Shift+C", fr: "Ctrl+Maj+C" }
    PasteKeys { en: "Ctrl+Shift+V", fr: "Ctrl+Maj+V" }
    TerminalFailed { en: "The terminal could not start: its script (xterm.js) did not load. Reload the page.", fr: "Le terminal n’a pas pu démarrer\u{a0}: son script (xterm.js) ne s’est pas chargé. Rechargez la page." }
    PasteRefused { en: "The browser did not let this page read the clipboard. Allow it for this site, or paste with Shift+Insert.", fr: "Le navigateur n’a pas laissé cette page lire le presse-papiers. Autorisez-le pour ce site, ou collez avec Maj+Inser." }
    ShellExited { en: "[shell exited — press any key for a new one]", fr: "[shell terminé — appuyez sur une touche pour en ouvrir un autre]" }
    TermFailedHint { en: "Press a key or Retry to open it again.", fr: "Appuyez sur une touche ou sur Réessayer pour le rouvrir." }
    ReloadAdvice { en: "This page is older or newer than the server: reload it.", fr: "Cette page est plus ancienne ou plus récente que le serveur\u{a0}: rechargez-la." }
    SessionOver { en: "Session over", fr: "Session terminée" }
    StartNewPlayground { en: "Start a new playground", fr: "Démarrer un nouveau bac à sable" }
    EndFailed { en: "The session could not be ended", fr: "La session n’a pas pu être terminée" }
    ExtendFailed { en: "The session could not be extended", fr: "La session n’a pas pu être prolongée" }
    AddNodeFailed { en: "The node could not be added", fr: "Le nœud n’a pas pu être ajouté" }

    // Ports of a node, above its terminals.
    PortsLabel { en: "Ports", fr: "Ports" }
    PortsHint { en: "Servers you start show up here", fr: "Les serveurs que vous lancez s’affichent ici" }

    // The files of a node.
    Files { en: "Files", fr: "Fichiers" }
    FilesToggleTitle { en: "Browse, edit, upload and download the files of this node", fr: "Parcourir, modifier, envoyer et télécharger les fichiers de ce nœud" }
    CloseFiles { en: "Close the files", fr: "Fermer les fichiers" }
    ParentFolder { en: "Parent folder", fr: "Dossier parent" }
    Refresh { en: "Refresh", fr: "Actualiser" }
    NewFile { en: "New file", fr: "Nouveau fichier" }
    NewFileShort { en: "+ New file", fr: "+ Nouveau" }
    UploadFilesShort { en: "↑ Files", fr: "↑ Fichiers" }
    UploadFolderShort { en: "↑ Folder", fr: "↑ Dossier" }
    NewFileName { en: "name, e.g. Dockerfile", fr: "nom, par ex. Dockerfile" }
    Create { en: "Create", fr: "Créer" }
    Cancel { en: "Cancel", fr: "Annuler" }
    UploadFiles { en: "Upload files", fr: "Envoyer des fichiers" }
    UploadFolder { en: "Upload a folder", fr: "Envoyer un dossier" }
    FilesLoading { en: "Reading the folder…", fr: "Lecture du dossier…" }
    EmptyFolder { en: "This folder is empty.", fr: "Ce dossier est vide." }
    ListFailed { en: "This folder could not be read", fr: "Ce dossier n’a pas pu être lu" }
    CreateFailed { en: "The file could not be created", fr: "Le fichier n’a pas pu être créé" }
    BadFileName { en: "A file name cannot contain / and cannot be . or ..", fr: "Un nom de fichier ne peut pas contenir / ni être . ou .." }
    FilesDropHint { en: "Drop files or folders here, or on a terminal, to upload them.", fr: "Déposez des fichiers ou des dossiers ici, ou sur un terminal, pour les envoyer." }
    DropIntoShell { en: "Drop to upload into this terminal’s folder", fr: "Déposez pour envoyer dans le dossier de ce terminal" }
    Link { en: "link", fr: "lien" }

    // Uploads and imports.
    ReadingFiles { en: "Reading the files…", fr: "Lecture des fichiers…" }
    UploadFailed { en: "The upload failed", fr: "L’envoi a échoué" }
    ReadFailed { en: "The browser could not read what was dropped.", fr: "Le navigateur n’a pas pu lire ce qui a été déposé." }
    ImportFailed { en: "The work could not be imported", fr: "Le travail n’a pas pu être importé" }
    CheckingFiles { en: "Checking every file against its checksum…", fr: "Vérification de chaque fichier avec sa somme de contrôle…" }
    TooLarge { en: "That is more than this playground accepts at once.", fr: "C’est plus que ce que ce bac à sable accepte d’un coup." }

    // The editor.
    Save { en: "Save", fr: "Enregistrer" }
    Saving { en: "Saving…", fr: "Enregistrement…" }
    Saved { en: "Saved", fr: "Enregistré" }
    Close { en: "Close", fr: "Fermer" }
    Unsaved { en: "Unsaved changes", fr: "Modifications non enregistrées" }
    OpeningFile { en: "Opening…", fr: "Ouverture…" }
    DiscardChanges { en: "Close without saving your changes?", fr: "Fermer sans enregistrer vos modifications\u{a0}?" }
    SaveFailed { en: "The file could not be saved", fr: "Le fichier n’a pas pu être enregistré" }
    OpenFailed { en: "The file could not be opened", fr: "Le fichier n’a pas pu être ouvert" }
    SaveKeys { en: "Ctrl+S", fr: "Ctrl+S" }

    // Taking one's work home and bringing it back.
    MyWork { en: "My work", fr: "Mon travail" }
    MyWorkTitle { en: "Download your work, or bring it back into this session", fr: "Téléchargez votre travail, ou rapportez-le dans cette session" }
    ExportHeading { en: "Take your work home", fr: "Emporter votre travail" }
    DownloadWork { en: "Download my work", fr: "Télécharger mon travail" }
    ExportIntro { en: "One archive of these folders on every node, with the checksum of each file.", fr: "Une archive de ces dossiers sur chaque nœud, avec la somme de contrôle de chaque fichier." }
    ChooseFolder { en: "Choose at least one folder.", fr: "Choisissez au moins un dossier." }
    ImportHeading { en: "Bring work back", fr: "Rapporter un travail" }
    ImportIntro { en: "An archive downloaded from Quai: every file is checked against its checksum before anything is written, and the nodes it needs are added.", fr: "Une archive téléchargée depuis Quai\u{a0}: chaque fichier est vérifié avec sa somme de contrôle avant toute écriture, et les nœuds nécessaires sont ajoutés." }
    ImportWork { en: "Import work…", fr: "Importer un travail…" }

    // Recording a terminal.
    Record { en: "Record", fr: "Enregistrer" }
    RecordTitle { en: "Record this terminal, to replay it or download it later", fr: "Enregistrer ce terminal, pour le rejouer ou le télécharger ensuite" }
    StopRecording { en: "Stop recording", fr: "Arrêter l’enregistrement" }
    RecordFailed { en: "The recording could not be started or stopped", fr: "L’enregistrement n’a pas pu être démarré ou arrêté" }
    RecordingsHeading { en: "Terminal recordings", fr: "Enregistrements de terminal" }
    RecordingsIntro { en: "Record a terminal with its ● Record button; replay it here or download it (asciicast, for asciinema). Recordings go with the session.", fr: "Enregistrez un terminal avec son bouton ● Enregistrer\u{a0}; rejouez-le ici ou téléchargez-le (asciicast, pour asciinema). Les enregistrements partent avec la session." }
    NoRecordings { en: "No recording yet.", fr: "Pas encore d’enregistrement." }
    RecordingNow { en: "recording…", fr: "en cours…" }
    Play { en: "Play", fr: "Lire" }
    Download { en: "Download", fr: "Télécharger" }

    // An instructor watching, or asking to help.
    HelpAllow { en: "Let them type", fr: "Le laisser taper" }
    HelpDecline { en: "No, thanks", fr: "Non merci" }
    HelpStop { en: "Stop", fr: "Arrêter" }

    // A class going on: the instructor's side, and the broadcast on a seat's page.
    LiveHeading { en: "Live", fr: "En direct" }
    OpenDemo { en: "Open my demo terminal", fr: "Ouvrir mon terminal de démonstration" }
    BroadcastOn { en: "Show my terminal to the class", fr: "Montrer mon terminal à la classe" }
    BroadcastOff { en: "Stop showing my terminal", fr: "Arrêter de montrer mon terminal" }
    PeekHeading { en: "Students' terminals", fr: "Terminaux des élèves" }
    PeekEmpty { en: "No student has a terminal open yet.", fr: "Aucun élève n’a encore de terminal ouvert." }
    AskHelp { en: "Ask to type", fr: "Demander à taper" }
    HelpWaiting { en: "Waiting for the student’s answer…", fr: "En attente de la réponse de l’élève…" }
    HelpYouType { en: "You can type in this terminal; the student sees it.", fr: "Vous pouvez taper dans ce terminal\u{a0}; l’élève le voit." }
    HelpSaidNo { en: "The student said no.", fr: "L’élève a refusé." }
    StopTyping { en: "Stop typing", fr: "Arrêter de taper" }
    HelpUpFront { en: "Type in students’ terminals without asking first (they still see it)", fr: "Taper dans les terminaux des élèves sans leur demander d’abord (ils le voient toujours)" }
    ClassRecordings { en: "Recordings of the class", fr: "Enregistrements de la classe" }
    ClassRecordingsIntro { en: "What you record in your demo terminal stays here after the demo ends.", fr: "Ce que vous enregistrez dans votre terminal de démonstration reste ici après la démonstration." }
    OnAirHide { en: "Hide", fr: "Masquer" }
    OnAirShow { en: "Show", fr: "Afficher" }

    // Trying an image.
    TryHeading { en: "Try an image", fr: "Essayer une image" }
    TryIntro { en: "A playground with the image running, from the images this server has offline.", fr: "Un bac à sable où tourne l’image, parmi celles que ce serveur a hors ligne." }
    TryPlaceholder { en: "nginx, redis, python:3…", fr: "nginx, redis, python:3…" }
    TryButton { en: "Try", fr: "Essayer" }
    TryFailed { en: "The image could not be started", fr: "L’image n’a pas pu être démarrée" }
    TryEmpty { en: "Type the name of an image, such as nginx.", fr: "Tapez le nom d’une image, comme nginx." }

    // Why a session ended.
    EndedNotFound { en: "This session has ended or does not exist.", fr: "Cette session est terminée ou n’existe pas." }
    EndedExpired { en: "This session's time ran out, and its containers were removed.", fr: "Le temps de cette session est écoulé, et ses conteneurs ont été supprimés." }
    EndedEnded { en: "This session has ended, and its containers were removed.", fr: "Cette session est terminée, et ses conteneurs ont été supprimés." }
    EndedShutdown { en: "The Quai server is shutting down, so this session has ended.", fr: "Le serveur Quai s’arrête\u{a0}: cette session est donc terminée." }
    EndedLost { en: "This session's containers were lost, so it has ended.", fr: "Les conteneurs de cette session ont été perdus\u{a0}: elle est donc terminée." }
    EndedIdle { en: "This session was left unused for too long, and its containers were removed.", fr: "Cette session est restée inutilisée trop longtemps, et ses conteneurs ont été supprimés." }

    // Errors of the API.
    Unreachable { en: "The Quai server cannot be reached. Check your connection and retry.", fr: "Le serveur Quai est injoignable. Vérifiez votre connexion et réessayez." }
    BadBody { en: "The Quai server sent an answer this page does not understand. Reload the page and retry.", fr: "Le serveur Quai a envoyé une réponse que cette page ne comprend pas. Rechargez la page et réessayez." }
    CouldNot { en: "The Quai server could not do that. Retry in a moment.", fr: "Le serveur Quai n’a pas pu le faire. Réessayez dans un instant." }
    FullSoon { en: "The playground is full — retry in a few minutes.", fr: "Le bac à sable est plein — réessayez dans quelques minutes." }
    RuntimeDown { en: "The container engine cannot be reached; ask the administrator to start Docker.", fr: "Le moteur de conteneurs est injoignable\u{a0}; demandez à l’administrateur de démarrer Docker." }

    // Joining a class.
    JoinTitle { en: "Join a class", fr: "Rejoindre une classe" }
    JoinIntro { en: "Type the code your instructor shows, and the name the class will see.", fr: "Tapez le code que montre votre formateur, et le nom que la classe verra." }
    JoinCode { en: "Class code", fr: "Code de la classe" }
    JoinName { en: "Your name", fr: "Votre nom" }
    JoinButton { en: "Join", fr: "Rejoindre" }
    Joining { en: "Joining…", fr: "Connexion…" }
    JoinMissing { en: "Type the class code and your name.", fr: "Tapez le code de la classe et votre nom." }
    JoinWrongCode { en: "No class has this code. Check it with your instructor.", fr: "Aucune classe n’a ce code. Vérifiez-le auprès de votre formateur." }
    JoinEnded { en: "This class is over.", fr: "Cette classe est terminée." }
    JoinFull { en: "Every seat of this class is taken. Tell your instructor.", fr: "Toutes les places de cette classe sont prises. Prévenez votre formateur." }
    JoinBadName { en: "A name is 1 to 40 characters.", fr: "Un nom fait de 1 à 40 caractères." }

    // Instructors.
    TeachTitle { en: "Instructor", fr: "Formateur" }
    SignInTitle { en: "Instructor sign-in", fr: "Connexion formateur" }
    SignInName { en: "Name", fr: "Nom" }
    Password { en: "Password", fr: "Mot de passe" }
    SignInButton { en: "Sign in", fr: "Se connecter" }
    SignOut { en: "Sign out", fr: "Se déconnecter" }
    SignInMismatch { en: "This name and password do not match.", fr: "Ce nom et ce mot de passe ne correspondent pas." }
    WelcomeTitle { en: "Choose your password", fr: "Choisissez votre mot de passe" }
    WelcomeIntro { en: "This link works once. Choose a password of at least 10 characters; you will sign in with it from now on.", fr: "Ce lien ne sert qu’une fois. Choisissez un mot de passe d’au moins 10 caractères\u{a0}; vous vous connecterez avec lui désormais." }
    WelcomeButton { en: "Set the password", fr: "Enregistrer le mot de passe" }
    WelcomeUsed { en: "This sign-in link was already used or has expired. Ask for a new one.", fr: "Ce lien de connexion a déjà servi ou a expiré. Demandez-en un nouveau." }
    WelcomeShort { en: "A password has at least 10 characters.", fr: "Un mot de passe fait au moins 10 caractères." }
    MyClasses { en: "My classes", fr: "Mes classes" }
    NoClasses { en: "No class yet. Create one below.", fr: "Aucune classe pour l’instant. Créez-en une ci-dessous." }
    NewClassTitle { en: "New class", fr: "Nouvelle classe" }
    ClassTitle { en: "Title", fr: "Titre" }
    ClassSeats { en: "Seats", fr: "Places" }
    ClassLesson { en: "Each seat gets", fr: "Chaque place reçoit" }
    BlankDocker { en: "A blank playground with Docker", fr: "Un bac à sable vierge avec Docker" }
    BlankShell { en: "A blank shell playground", fr: "Un bac à sable shell vierge" }
    ClassStartsIn { en: "Starts in (minutes)", fr: "Commence dans (minutes)" }
    ClassMinutes { en: "Lasts (minutes)", fr: "Dure (minutes)" }
    CreateClass { en: "Create the class", fr: "Créer la classe" }
    ClassCode { en: "Code", fr: "Code" }
    ClassSeatsTaken { en: "Seats taken", fr: "Places prises" }
    ClassWhen { en: "When", fr: "Quand" }
    ClassJoinUrl { en: "Join address", fr: "Adresse pour rejoindre" }
    ClassScheduled { en: "Scheduled", fr: "Prévue" }
    ClassOpen { en: "Open", fr: "Ouverte" }
    ClassEndedState { en: "Ended", fr: "Terminée" }
    EndClass { en: "End", fr: "Terminer" }
    Loading { en: "Loading…", fr: "Chargement…" }

    // A class's page (the live roster) and a student's raised hand.
    BackToClasses { en: "← My classes", fr: "← Mes classes" }
    JoinAt { en: "Join at", fr: "Rejoindre sur" }
    ClassEndsAt { en: "Ends at", fr: "Se termine à" }
    ExtendClass { en: "+15 min", fr: "+15 min" }
    ExtendClassTitle { en: "Give the class and every seat 15 more minutes", fr: "Donner 15 minutes de plus à la classe et à chaque place" }
    DownloadCsv { en: "Progress (CSV)", fr: "Progression (CSV)" }
    RosterTitle { en: "Students", fr: "Élèves" }
    NoStudents { en: "No student has joined yet.", fr: "Aucun élève n’a encore rejoint la classe." }
    RosterStudent { en: "Student", fr: "Élève" }
    RosterPresence { en: "Status", fr: "État" }
    RosterOnStep { en: "On step", fr: "Sur l’étape" }
    RosterHint { en: "Last hint", fr: "Dernier indice" }
    PresenceOnline { en: "Online", fr: "En ligne" }
    PresenceIdle { en: "Idle", fr: "Inactif" }
    PresenceGone { en: "Gone", fr: "Parti" }
    StepPassed { en: "Passed", fr: "Validée" }
    StepNotYet { en: "Not yet", fr: "Pas encore" }
    AllStepsDone { en: "Done", fr: "Terminé" }
    Stuck { en: "Stuck", fr: "Bloqué" }
    HandUp { en: "Hand raised", fr: "Main levée" }
    LowerHand { en: "Lower hand", fr: "Baisser la main" }
    ResetSeat { en: "Reset", fr: "Réinitialiser" }
    ResetSeatConfirm { en: "Give this student fresh nodes? What runs in their nodes is lost; their progress is kept.", fr: "Donner des nœuds neufs à cet élève\u{a0}? Ce qui tourne dans ses nœuds est perdu\u{a0}; sa progression est gardée." }
    RaiseHand { en: "Raise hand", fr: "Lever la main" }
    LowerMyHand { en: "Lower my hand", fr: "Baisser ma main" }
    RaiseHandTitle { en: "Ask your instructor for help: your row lights up on their page", fr: "Demander de l’aide au formateur\u{a0}: votre ligne s’allume sur sa page" }

    // Not found.
    NothingHere { en: "There is nothing at this address.", fr: "Il n’y a rien à cette adresse." }
    GoHome { en: "Go to the home page", fr: "Aller à l’accueil" }
}

/// "3 failed checks", "3 vérifications échouées".
pub fn failed_checks(lang: Lang, n: u32) -> String {
    match (lang, n) {
        (Lang::En, 1) => "1 failed check".to_string(),
        (Lang::En, n) => format!("{n} failed checks"),
        (Lang::Fr, 1) => "1 vérification échouée".to_string(),
        (Lang::Fr, n) => format!("{n} vérifications échouées"),
    }
}

/// "Step 3", "Étape 3".
pub fn step_label(lang: Lang, n: u16) -> String {
    match lang {
        Lang::En => format!("Step {n}"),
        Lang::Fr => format!("Étape {n}"),
    }
}

/// The text of `msg` in `lang`.
pub fn t(lang: Lang, msg: Msg) -> &'static str {
    msg.get(lang)
}

/// The name of a language in that language, for the switch.
pub fn lang_name(lang: Lang) -> &'static str {
    Msg::LangName.get(lang)
}

/// `1 minute`, `2 minutes`; `1 minute`, `2 minutes` in French too (and `seconde`).
pub fn plural(lang: Lang, n: u64, unit: Unit) -> String {
    let word = match (unit, lang) {
        (Unit::Second, Lang::En) => "second",
        (Unit::Second, Lang::Fr) => "seconde",
        (Unit::Minute, _) => "minute",
        (Unit::Step, Lang::En) => "step",
        (Unit::Step, Lang::Fr) => "étape",
    };
    // French puts 0 and 1 in the singular.
    let one = match lang {
        Lang::En => n == 1,
        Lang::Fr => n <= 1,
    };
    if one {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Second,
    Minute,
    Step,
}

/// The expiry warning: "This session ends in 10 minutes; …".
pub fn expiring(lang: Lang, seconds_left: u64) -> String {
    let when = if seconds_left < 60 {
        plural(lang, seconds_left, Unit::Second)
    } else {
        // To the nearest minute: the countdown shows the exact time.
        plural(lang, (seconds_left + 30) / 60, Unit::Minute)
    };
    match lang {
        Lang::En => {
            format!("This session ends in {when}; its containers and files will then be removed.")
        }
        Lang::Fr => format!(
            "Cette session se termine dans {when}\u{a0}; ses conteneurs et ses fichiers seront alors supprimés."
        ),
    }
}

/// The countdown: `1:59:58 left`, `9:05 left`.
pub fn time_left(lang: Lang, seconds: u64) -> String {
    let (h, m, s) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    let clock = if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    };
    match lang {
        Lang::En => format!("{clock} left"),
        Lang::Fr => format!("reste {clock}"),
    }
}

/// "The playground is full — about 3 minutes until a place frees up."
pub fn capacity(lang: Lang, retry_after_secs: Option<u64>) -> String {
    let Some(secs) = retry_after_secs else {
        return Msg::FullSoon.get(lang).to_string();
    };
    let minutes = plural(lang, secs.div_ceil(60).max(1), Unit::Minute);
    match lang {
        Lang::En => format!("The playground is full — about {minutes} until a place frees up."),
        Lang::Fr => {
            format!("Le bac à sable est plein — une place se libère dans {minutes} environ.")
        }
    }
}

/// "Too many requests from your address; retry in 30 seconds."
/// "This class opens in 5 minutes."
pub fn class_opens_in(lang: Lang, secs: u64) -> String {
    let minutes = plural(lang, secs.div_ceil(60).max(1), Unit::Minute);
    match lang {
        Lang::En => format!("This class opens in {minutes}. Come back then."),
        Lang::Fr => format!("Cette classe ouvre dans {minutes}. Revenez à ce moment-là."),
    }
}

pub fn rate_limited(lang: Lang, secs: u64) -> String {
    let when = plural(lang, secs.max(1), Unit::Second);
    match lang {
        Lang::En => format!("Too many requests from your address; retry in {when}."),
        Lang::Fr => format!("Trop de demandes depuis votre adresse\u{a0}; réessayez dans {when}."),
    }
}

/// "Ada is watching terminal 1", "Ada and Bo are watching terminals 1 and 2".
pub fn watching(lang: Lang, names: &[String], terms: &[u16]) -> String {
    let and = |items: Vec<String>| -> String {
        match items.as_slice() {
            [] => String::new(),
            [one] => one.clone(),
            [first @ .., last] => {
                let word = if lang == Lang::Fr { "et" } else { "and" };
                format!("{} {word} {last}", first.join(", "))
            }
        }
    };
    let who = and(names.to_vec());
    let which = and(terms.iter().map(|t| t.to_string()).collect());
    let several = names.len() > 1;
    match (lang, several, terms.len() > 1) {
        (Lang::En, false, false) => format!("{who} is watching terminal {which}"),
        (Lang::En, false, true) => format!("{who} is watching terminals {which}"),
        (Lang::En, true, false) => format!("{who} are watching terminal {which}"),
        (Lang::En, true, true) => format!("{who} are watching terminals {which}"),
        (Lang::Fr, false, false) => format!("{who} regarde le terminal {which}"),
        (Lang::Fr, false, true) => format!("{who} regarde les terminaux {which}"),
        (Lang::Fr, true, false) => format!("{who} regardent le terminal {which}"),
        (Lang::Fr, true, true) => format!("{who} regardent les terminaux {which}"),
    }
}

/// An instructor asks to type in terminal `term`.
pub fn help_asked(lang: Lang, name: &str, term: u16) -> String {
    match lang {
        Lang::En => format!("{name} asks to type in your terminal {term}, to help you."),
        Lang::Fr => format!("{name} demande à taper dans votre terminal {term}, pour vous aider."),
    }
}

/// An instructor types in terminal `term` now.
pub fn help_typing(lang: Lang, name: &str, term: u16) -> String {
    match lang {
        Lang::En => format!("{name} is typing in your terminal {term}."),
        Lang::Fr => format!("{name} tape dans votre terminal {term}."),
    }
}

/// "Ada's terminal, live".
pub fn on_air(lang: Lang, name: &str) -> String {
    match lang {
        Lang::En => format!("{name}’s terminal, live"),
        Lang::Fr => format!("Le terminal de {name}, en direct"),
    }
}

/// "3 watching".
pub fn audience(lang: Lang, n: u32) -> String {
    match (lang, n) {
        (Lang::En, _) => format!("{n} watching"),
        (Lang::Fr, 0 | 1) => format!("{n} spectateur"),
        (Lang::Fr, _) => format!("{n} spectateurs"),
    }
}

/// A tile's title: the student and their terminal.
pub fn tile_title(lang: Lang, name: &str, term: u16) -> String {
    match lang {
        Lang::En => format!("{name} · terminal {term}"),
        Lang::Fr => format!("{name} · terminal {term}"),
    }
}

/// An answer without a readable body.
pub fn http_error(lang: Lang, status: u16) -> String {
    match lang {
        Lang::En => format!(
            "The Quai server answered with an unexpected error (HTTP {status}). Retry in a moment."
        ),
        Lang::Fr => format!(
            "Le serveur Quai a répondu par une erreur inattendue (HTTP {status}). Réessayez dans un instant."
        ),
    }
}

pub fn node_not_removed(lang: Lang, node: &str) -> String {
    match lang {
        Lang::En => format!("{node} could not be removed"),
        Lang::Fr => format!("{node} n’a pas pu être supprimé"),
    }
}

pub fn remove_node_title(lang: Lang, node: &str) -> String {
    match lang {
        Lang::En => format!("Remove {node} and its terminals"),
        Lang::Fr => format!("Supprimer {node} et ses terminaux"),
    }
}

pub fn remove_node_label(lang: Lang, node: &str) -> String {
    match lang {
        Lang::En => format!("Remove {node}"),
        Lang::Fr => format!("Supprimer {node}"),
    }
}

pub fn max_nodes(lang: Lang, max: u8) -> String {
    match lang {
        Lang::En => format!("A session has at most {max} nodes"),
        Lang::Fr => format!("Une session a au plus {max} nœuds"),
    }
}

pub fn terminals_on(lang: Lang, node: &str) -> String {
    match lang {
        Lang::En => format!("Terminals on {node}"),
        Lang::Fr => format!("Terminaux sur {node}"),
    }
}

pub fn terminal_on(lang: Lang, node: &str) -> String {
    match lang {
        Lang::En => format!("Terminal on {node}"),
        Lang::Fr => format!("Terminal sur {node}"),
    }
}

pub fn another_terminal(lang: Lang, node: &str) -> String {
    match lang {
        Lang::En => format!("Open another terminal on {node}"),
        Lang::Fr => format!("Ouvrir un autre terminal sur {node}"),
    }
}

pub fn close_terminal_title(lang: Lang, label: &str) -> String {
    match lang {
        Lang::En => format!("Close {label} (its shell ends)"),
        Lang::Fr => format!("Fermer {label} (son shell se termine)"),
    }
}

pub fn close_terminal_label(lang: Lang, label: &str) -> String {
    match lang {
        Lang::En => format!("Close {label}"),
        Lang::Fr => format!("Fermer {label}"),
    }
}

/// On a lesson card: "2/5 passed".
pub fn passed_of(lang: Lang, passed: u16, steps: u16) -> String {
    match lang {
        Lang::En => format!("{passed}/{steps} passed"),
        Lang::Fr => {
            let word = if passed <= 1 { "réussie" } else { "réussies" };
            format!("{passed}/{steps} {word}")
        }
    }
}

/// "20 min".
pub fn minutes_short(_lang: Lang, minutes: u32) -> String {
    format!("{minutes} min")
}

/// "5 steps".
pub fn steps_count(lang: Lang, steps: u16) -> String {
    plural(lang, steps.into(), Unit::Step)
}

/// "Step 2", the short name of a step.
pub fn step_name(lang: Lang, number: u16) -> String {
    match lang {
        Lang::En => format!("Step {number}"),
        Lang::Fr => format!("Étape {number}"),
    }
}

/// "Step 2 of 5".
pub fn step_of(lang: Lang, number: u16, steps: u16) -> String {
    match lang {
        Lang::En => format!("Step {number} of {steps}"),
        Lang::Fr => format!("Étape {number} sur {steps}"),
    }
}

/// The flash after a passed check: "Step 1 passed. Well done!", or, when it was the last
/// step, that the lesson is complete.
pub fn step_passed(lang: Lang, number: u16, last: bool) -> String {
    match (lang, last) {
        (Lang::En, false) => format!("Step {number} passed. Well done!"),
        (Lang::En, true) => format!("Step {number} passed: you have completed the lesson!"),
        (Lang::Fr, false) => format!("Étape {number} réussie. Bravo\u{a0}!"),
        (Lang::Fr, true) => {
            format!("Étape {number} réussie\u{a0}: vous avez terminé la leçon\u{a0}!")
        }
    }
}

/// Why a lesson cannot start: the images it needs that this playground lacks.
pub fn missing_images(lang: Lang, images: &[String]) -> String {
    let list = images.join(", ");
    match (lang, images.len()) {
        (Lang::En, 1) => format!("It needs the image {list}, which this playground does not have."),
        (Lang::En, _) => {
            format!("It needs the images {list}, which this playground does not have.")
        }
        (Lang::Fr, 1) => format!("Elle a besoin de l’image {list}, absente de ce bac à sable."),
        (Lang::Fr, _) => format!("Elle a besoin des images {list}, absentes de ce bac à sable."),
    }
}

/// The label of a click-to-run block that names its node: "Run on node2".
pub fn run_on(lang: Lang, node: &str) -> String {
    match lang {
        Lang::En => format!("Run on {node}"),
        Lang::Fr => format!("Exécuter sur {node}"),
    }
}

/// The node a click-to-run block names is not in the session.
pub fn no_such_node(lang: Lang, node: &str) -> String {
    match lang {
        Lang::En => format!("This block runs on {node}, which this session does not have."),
        Lang::Fr => format!("Ce bloc s’exécute sur {node}, que cette session n’a pas."),
    }
}

/// The title of a port chip.
pub fn open_port(lang: Lang, port: u16, node: &str) -> String {
    match lang {
        Lang::En => format!("Open port {port} of {node} in a new tab"),
        Lang::Fr => format!("Ouvrir le port {port} de {node} dans un nouvel onglet"),
    }
}

/// The title of a node tab's dot: "Listening on port 8000", "… on ports 8000, 8080".
pub fn listening_on(lang: Lang, ports: &[u16]) -> String {
    let list: Vec<String> = ports.iter().map(u16::to_string).collect();
    let list = list.join(", ");
    match (lang, ports.len()) {
        (Lang::En, 1) => format!("Listening on port {list}"),
        (Lang::En, _) => format!("Listening on ports {list}"),
        (Lang::Fr, 1) => format!("À l’écoute sur le port {list}"),
        (Lang::Fr, _) => format!("À l’écoute sur les ports {list}"),
    }
}

/// The files panel's heading.
pub fn files_of(lang: Lang, node: &str) -> String {
    match lang {
        Lang::En => format!("Files of {node}"),
        Lang::Fr => format!("Fichiers de {node}"),
    }
}

pub fn download_title(lang: Lang, name: &str, folder: bool) -> String {
    match (lang, folder) {
        (Lang::En, false) => format!("Download {name}"),
        (Lang::En, true) => format!("Download {name} as {name}.tar.gz"),
        (Lang::Fr, false) => format!("Télécharger {name}"),
        (Lang::Fr, true) => format!("Télécharger {name} en {name}.tar.gz"),
    }
}

pub fn open_title(lang: Lang, name: &str, folder: bool) -> String {
    match (lang, folder) {
        (Lang::En, true) => format!("Open the folder {name}"),
        (Lang::En, false) => format!("Edit {name}"),
        (Lang::Fr, true) => format!("Ouvrir le dossier {name}"),
        (Lang::Fr, false) => format!("Modifier {name}"),
    }
}

/// Over a drop target: "Drop to upload into /root/app".
pub fn drop_into(lang: Lang, dir: &str) -> String {
    match lang {
        Lang::En => format!("Drop to upload into {dir}"),
        Lang::Fr => format!("Déposez pour envoyer dans {dir}"),
    }
}

/// "3 files", "1 file"; "0 fichier", "3 fichiers".
pub fn files_count(lang: Lang, n: u64) -> String {
    let word = match lang {
        Lang::En => "file",
        Lang::Fr => "fichier",
    };
    let one = match lang {
        Lang::En => n == 1,
        Lang::Fr => n <= 1,
    };
    if one {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// "Uploading app/, notes.txt (3 files, 1.2 MB) to /root".
pub fn uploading(
    lang: Lang,
    names: &[String],
    files: u64,
    size: &str,
    dir: Option<&str>,
) -> String {
    let shown = if names.len() > 3 {
        format!("{}, …", names[..3].join(", "))
    } else {
        names.join(", ")
    };
    let count = files_count(lang, files);
    match (lang, dir) {
        (Lang::En, Some(dir)) => format!("Uploading {shown} ({count}, {size}) to {dir}"),
        (Lang::En, None) => format!("Uploading {shown} ({count}, {size})"),
        (Lang::Fr, Some(dir)) => format!("Envoi de {shown} ({count}, {size}) dans {dir}"),
        (Lang::Fr, None) => format!("Envoi de {shown} ({count}, {size})"),
    }
}

/// After an upload is sent: "Unpacking in /root…".
pub fn unpacking(lang: Lang, dir: Option<&str>) -> String {
    match (lang, dir) {
        (Lang::En, Some(dir)) => format!("Unpacking in {dir}…"),
        (Lang::En, None) => "Unpacking…".to_string(),
        (Lang::Fr, Some(dir)) => format!("Décompression dans {dir}…"),
        (Lang::Fr, None) => "Décompression…".to_string(),
    }
}

/// "3 files uploaded to /root/x".
pub fn uploaded(lang: Lang, files: u64, dir: &str) -> String {
    let count = files_count(lang, files);
    match lang {
        Lang::En => format!("{count} uploaded to {dir}"),
        Lang::Fr if files <= 1 => format!("{count} envoyé dans {dir}"),
        Lang::Fr => format!("{count} envoyés dans {dir}"),
    }
}

/// "Importing quai-workspace.tar.gz (1.2 MB)".
pub fn importing(lang: Lang, name: &str, size: &str) -> String {
    match lang {
        Lang::En => format!("Importing {name} ({size})"),
        Lang::Fr => format!("Import de {name} ({size})"),
    }
}

/// "12 files restored on node1, node2: every checksum matched."
pub fn restored(lang: Lang, files: u64, nodes: &[String]) -> String {
    let count = files_count(lang, files);
    let nodes = nodes.join(", ");
    match lang {
        Lang::En => format!("{count} restored on {nodes}: every checksum matched."),
        Lang::Fr if files <= 1 => {
            format!("{count} restauré sur {nodes}\u{a0}: les sommes de contrôle concordent.")
        }
        Lang::Fr => {
            format!("{count} restaurés sur {nodes}\u{a0}: les sommes de contrôle concordent.")
        }
    }
}

/// The editor's heading: "node1:/root/Dockerfile".
pub fn editing(node: &str, path: &str) -> String {
    format!("{node}:{path}")
}

/// While "try an image" starts one: "Starting nginx…".
pub fn trying(lang: Lang, image: &str) -> String {
    match lang {
        Lang::En => format!("Starting {image}…"),
        Lang::Fr => format!("Démarrage de {image}…"),
    }
}

pub fn trying_note(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "A fresh node with Docker pulls the image from this server’s registry and starts it: this takes a few seconds.",
        Lang::Fr => "Un nœud neuf avec Docker récupère l’image depuis le registre de ce serveur et la démarre\u{a0}: cela prend quelques secondes.",
    }
}

/// An image the server does not have (the images it has follow).
pub fn not_offline(lang: Lang, image: &str) -> String {
    match lang {
        Lang::En => format!(
            "“{image}” is not available offline on this playground. You can try one of these:"
        ),
        Lang::Fr => format!(
            "«\u{a0}{image}\u{a0}» n’est pas disponible hors ligne sur ce bac à sable. Vous pouvez essayer l’une de celles-ci\u{a0}:"
        ),
    }
}

/// A notice of the playground, written out when shown (in the language of the moment).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sentence {
    /// As it came (from the server, which speaks English).
    Plain(String),
    Msg(Msg),
    /// The expiry warning, with the seconds left when it came.
    Expiring(u64),
    /// Why an API call failed.
    Api(ApiFailure),
    /// What failed, and why.
    Failed(Msg, ApiFailure),
    /// What failed, and the server's own words on why (it names a path or a file).
    Detail(Msg, ApiFailure),
    /// Removing a node failed.
    NodeNotRemoved(String, ApiFailure),
    /// The server's message, and the advice to reload the page.
    Reload(String),
    /// The click-to-run block names a node the session lacks.
    NoSuchNode(String),
}

impl Sentence {
    pub fn render(&self, lang: Lang) -> String {
        match self {
            Sentence::Plain(text) => text.clone(),
            Sentence::Msg(msg) => msg.get(lang).to_string(),
            Sentence::Expiring(seconds_left) => expiring(lang, *seconds_left),
            Sentence::Api(failure) => failure.sentence(lang),
            Sentence::Failed(what, failure) => {
                format!(
                    "{}{} {}",
                    what.get(lang),
                    colon(lang),
                    failure.sentence(lang)
                )
            }
            Sentence::Detail(what, failure) => {
                format!("{}{} {}", what.get(lang), colon(lang), failure.detail(lang))
            }
            Sentence::NodeNotRemoved(node, failure) => format!(
                "{}{} {}",
                node_not_removed(lang, node),
                colon(lang),
                failure.sentence(lang)
            ),
            Sentence::Reload(message) => format!("{message} {}", Msg::ReloadAdvice.get(lang)),
            Sentence::NoSuchNode(node) => no_such_node(lang, node),
        }
    }
}

/// `:` in English, ` :` (with a no-break space) in French.
pub fn colon(lang: Lang) -> &'static str {
    match lang {
        Lang::En => ":",
        Lang::Fr => "\u{a0}:",
    }
}

/// The language to show: the one remembered, else the first the browser prefers that Quai
/// speaks, else English.
pub fn choose(stored: Option<&str>, browser: &[String]) -> Lang {
    stored
        .and_then(Lang::parse)
        .or_else(|| browser.iter().find_map(|tag| Lang::parse(tag)))
        .unwrap_or_default()
}

/// The browser's languages, most preferred first (`navigator.languages`, or
/// `navigator.language`).
pub fn browser_langs() -> Vec<String> {
    let Some(window) = web_sys::window() else {
        return Vec::new();
    };
    let navigator = window.navigator();
    let mut langs: Vec<String> = navigator
        .languages()
        .iter()
        .filter_map(|tag| tag.as_string())
        .collect();
    if let Some(tag) = navigator.language() {
        langs.push(tag);
    }
    langs
}

thread_local! {
    static CURRENT: Cell<Lang> = const { Cell::new(Lang::En) };
}

/// The language of the page, for code that is not a component.
pub fn current() -> Lang {
    CURRENT.with(Cell::get)
}

/// Makes `lang` the page's language: `current()`, `<html lang>`.
pub fn apply(lang: Lang) {
    CURRENT.with(|c| c.set(lang));
    if let Some(html) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
    {
        let _ = html.set_attribute("lang", lang.code());
    }
}

/// The language of the page and the way to switch it, shared by every component.
#[derive(Clone, PartialEq)]
pub struct LangCtx {
    pub lang: Lang,
    pub set: Callback<Lang>,
}

/// The page's language (English outside a `LangCtx`, as in tests).
#[hook]
pub fn use_lang() -> Lang {
    use_context::<LangCtx>().map_or(Lang::En, |ctx| ctx.lang)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_message_has_both_translations() {
        for msg in Msg::ALL {
            for lang in Lang::ALL {
                assert!(!msg.get(lang).trim().is_empty(), "{msg:?} in {lang:?}");
            }
        }
        assert_eq!(t(Lang::Fr, Msg::Check), "Vérifier");
        assert_eq!(t(Lang::En, Msg::Check), "Check");
    }

    #[test]
    fn french_texts_use_french_typography() {
        for msg in Msg::ALL {
            let fr = msg.get(Lang::Fr);
            assert!(
                !fr.contains('\''),
                "{msg:?} should use a typographic apostrophe: {fr}"
            );
            for mark in [" :", " ;", " !", " ?"] {
                assert!(
                    !fr.contains(mark),
                    "{msg:?} wants a no-break space before {mark}: {fr}"
                );
            }
        }
    }

    #[test]
    fn the_language_is_the_stored_one_then_the_browsers_then_english() {
        let browser = |tags: &[&str]| tags.iter().map(|t| t.to_string()).collect::<Vec<_>>();
        assert_eq!(choose(Some("fr"), &browser(&["en-US"])), Lang::Fr);
        assert_eq!(choose(None, &browser(&["de-DE", "fr-CA", "en"])), Lang::Fr);
        assert_eq!(choose(Some("xx"), &browser(&["en-GB"])), Lang::En);
        assert_eq!(choose(None, &browser(&["de", "it"])), Lang::En);
        assert_eq!(choose(None, &[]), Lang::En);
    }

    #[test]
    fn numbers_agree_in_both_languages() {
        assert_eq!(plural(Lang::En, 1, Unit::Minute), "1 minute");
        assert_eq!(plural(Lang::En, 0, Unit::Step), "0 steps");
        assert_eq!(plural(Lang::Fr, 0, Unit::Step), "0 étape");
        assert_eq!(plural(Lang::Fr, 5, Unit::Step), "5 étapes");
        assert_eq!(plural(Lang::Fr, 30, Unit::Second), "30 secondes");
        assert_eq!(passed_of(Lang::En, 2, 5), "2/5 passed");
        assert_eq!(passed_of(Lang::Fr, 2, 5), "2/5 réussies");
        assert_eq!(passed_of(Lang::Fr, 1, 5), "1/5 réussie");
    }

    #[test]
    fn expiry_warnings_round_to_minutes_in_both_languages() {
        assert!(expiring(Lang::En, 599).contains("in 10 minutes"));
        assert!(expiring(Lang::En, 75).contains("in 1 minute;"));
        assert!(expiring(Lang::En, 1).contains("in 1 second;"));
        assert_eq!(
            expiring(Lang::Fr, 600),
            "Cette session se termine dans 10 minutes\u{a0}; ses conteneurs et ses fichiers seront alors supprimés."
        );
    }

    #[test]
    fn the_countdown_reads_in_both_languages() {
        assert_eq!(time_left(Lang::En, 2 * 3600 - 2), "1:59:58 left");
        assert_eq!(time_left(Lang::En, 545), "9:05 left");
        assert_eq!(time_left(Lang::Fr, 545), "reste 9:05");
    }

    #[test]
    fn transfers_read_in_both_languages() {
        assert_eq!(
            uploaded(Lang::En, 3, "/root/x"),
            "3 files uploaded to /root/x"
        );
        assert_eq!(uploaded(Lang::En, 1, "/root"), "1 file uploaded to /root");
        assert_eq!(
            uploaded(Lang::Fr, 1, "/root"),
            "1 fichier envoyé dans /root"
        );
        assert_eq!(
            uploaded(Lang::Fr, 3, "/root"),
            "3 fichiers envoyés dans /root"
        );
        let names: Vec<String> = ["app/", "a", "b", "c"].map(String::from).to_vec();
        assert_eq!(
            uploading(Lang::En, &names, 7, "1.2 MB", Some("/root")),
            "Uploading app/, a, b, … (7 files, 1.2 MB) to /root"
        );
        assert!(restored(Lang::En, 2, &["node1".into(), "node2".into()])
            .starts_with("2 files restored on node1, node2"));
        assert!(not_offline(Lang::En, "foo").starts_with("“foo” is not available offline"));
    }

    #[test]
    fn failures_read_as_one_sentence() {
        let s = Sentence::Failed(Msg::ExtendFailed, ApiFailure::Network);
        assert_eq!(
            s.render(Lang::En),
            "The session could not be extended: The Quai server cannot be reached. Check your connection and retry."
        );
        assert!(s
            .render(Lang::Fr)
            .starts_with("La session n’a pas pu être prolongée\u{a0}: Le serveur Quai"));
        assert_eq!(
            missing_images(Lang::En, &["nginx".into()]),
            "It needs the image nginx, which this playground does not have."
        );
    }
}
