
use builtin;
use str;

set edit:completion:arg-completer[petctl] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'petctl'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'petctl'= {
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand migrate 'Convert PetSets and older StatefulSets to apps/v1 StatefulSets'
            cand completion 'Print a shell completion script'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'petctl;migrate'= {
            cand -f 'Manifest file, directory, or - for stdin (repeatable)'
            cand --filename 'Manifest file, directory, or - for stdin (repeatable)'
            cand -o 'Output format'
            cand --output 'Output format'
            cand --to 'The apiVersion to convert to'
            cand --validate 'How to treat unknown fields: strict, warn or ignore'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'petctl;completion'= {
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'petctl;help'= {
            cand migrate 'Convert PetSets and older StatefulSets to apps/v1 StatefulSets'
            cand completion 'Print a shell completion script'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'petctl;help;migrate'= {
        }
        &'petctl;help;completion'= {
        }
        &'petctl;help;help'= {
        }
    ]
    $completions[$command]
}
