# style.gp - what every chart shares: the size of a slide (1600 x 900),
# fonts readable from the back of a room, and the terminal for `kind`
# (png, svg or text). The text terminal takes its width from `textcols`.
# Each chart script loads it after its data's .vars file.

if (!exists('textcols')) { textcols = 120 }
if (kind eq 'png') {
    set terminal pngcairo size 1600, 900 font 'Sans,20' noenhanced
} else {
    if (kind eq 'svg') {
        if (exists('hover') && hover) {
            set terminal svg size 1600, 900 font 'Sans,20' noenhanced mouse standalone
        } else {
            set terminal svg size 1600, 900 font 'Sans,20' noenhanced
        }
    } else {
        set terminal dumb size textcols - 1, textrows noenhanced
    }
}
if (out ne '-') { set output out }
set title font ',24'
set key font ',18' spacing 1.3 width 2 samplen 4
if (kind eq 'text') { set key noautotitle }
# Legend entries: in an image the sample goes first, then its text; a
# text chart keeps the text first, so that no sample touches a word.
keyorder = (kind eq 'text') ? 'noreverse Right' : 'reverse Left'
