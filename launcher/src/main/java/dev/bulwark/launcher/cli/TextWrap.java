package dev.bulwark.launcher.cli;

/** Paragraphs wrapped at word boundaries for a terminal, each line indented. */
final class TextWrap {
    private TextWrap() {
    }

    /**
     * {@code text} wrapped at {@code width} columns: the first line starts with {@code first}, the others with
     * {@code rest} (both counted in the width); ends with a newline. A word longer than a line stays whole.
     */
    static String wrap(String text, int width, String first, String rest) {
        StringBuilder out = new StringBuilder();
        StringBuilder line = new StringBuilder(first);
        int empty = first.length();
        for (String word : text.strip().split("\\s+")) {
            if (line.length() > empty && line.length() + 1 + word.length() > width) {
                out.append(line).append('\n');
                line = new StringBuilder(rest);
                empty = rest.length();
            }
            if (line.length() > empty) {
                line.append(' ');
            }
            line.append(word);
        }
        return out.append(line).append('\n').toString();
    }
}
