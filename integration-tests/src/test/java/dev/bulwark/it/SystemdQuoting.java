package dev.bulwark.it;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits an ExecStart= value into argv as systemd does (systemd.service(5), "Command lines"): words
 * separated by whitespace, double or single quotes around a word, C escapes (backslash), specifiers
 * ({@code %%} is a percent sign; this reader accepts no other specifier), and {@code $$}, which systemd
 * turns into a dollar sign when it runs the command.
 */
final class SystemdQuoting {
    private SystemdQuoting() {
    }

    static List<String> execStart(String value) {
        String line = value.replace("%%", "\u0000");
        if (line.contains("%")) {
            throw new IllegalArgumentException("a specifier in ExecStart: " + value);
        }
        List<String> words = new ArrayList<>();
        int i = 0;
        while (i < line.length()) {
            while (i < line.length() && Character.isWhitespace(line.charAt(i))) {
                i++;
            }
            if (i == line.length()) {
                break;
            }
            StringBuilder word = new StringBuilder();
            char quote = 0;
            while (i < line.length() && (quote != 0 || !Character.isWhitespace(line.charAt(i)))) {
                char c = line.charAt(i++);
                if (quote == 0 && (c == '"' || c == '\'')) {
                    quote = c;
                } else if (quote != 0 && c == quote) {
                    quote = 0;
                } else if (c == '\\') {
                    char next = line.charAt(i++);
                    switch (next) {
                        case 'n' -> word.append('\n');
                        case 't' -> word.append('\t');
                        case 'r' -> word.append('\r');
                        case 'x' -> {
                            word.append((char) Integer.parseInt(line.substring(i, i + 2), 16));
                            i += 2;
                        }
                        default -> word.append(next);
                    }
                } else {
                    word.append(c);
                }
            }
            if (quote != 0) {
                throw new IllegalArgumentException("unterminated quote in ExecStart: " + value);
            }
            words.add(word.toString().replace('\u0000', '%').replace("$$", "$"));
        }
        return words;
    }
}
