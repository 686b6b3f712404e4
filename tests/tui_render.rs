//! Render tests: the queue and referral screens on `TestBackend` with a fixed
//! clock and seeded data; styles of urgent rows asserted cell by cell.

mod tui_support;

use ratatui::crossterm::event::KeyCode;
use ratatui::style::{Color, Modifier};
use tui_support::*;

#[test]
fn queue_at_80x24() {
    let mut s = seeded();
    let app = app(&mut s, 80, 24);
    let t = draw(&app, 80, 24);
    insta::assert_snapshot!(t.backend());
}

#[test]
fn queue_all_teams_at_120x30() {
    let mut s = seeded();
    let mut app = app(&mut s, 120, 30);
    key(&mut app, &mut s.client, KeyCode::Char('t')); // North → South
    key(&mut app, &mut s.client, KeyCode::Char('t')); // South → all
    let t = draw(&app, 120, 30);
    insta::assert_snapshot!(t.backend());
}

#[test]
fn overdue_and_soon_rows_stand_out_by_colour_and_text() {
    let mut s = seeded();
    let app = app(&mut s, 80, 24);
    let t = draw(&app, 80, 24);
    let text = screen_text(&t);
    let b = t.backend().buffer();
    let row_of = |needle: &str| {
        text.lines()
            .position(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("{needle} not on screen:\n{text}")) as u16
    };
    // Amara's see-child action was due 24 hours after the call, 6 hours ago.
    let y = row_of("OVERDUE 6h 00m");
    let line: String = (0..80).map(|x| b[(x, y)].symbol()).collect();
    assert!(line.contains("!!") && line.contains("Amara Osei"), "{line}");
    let x = line.find("OVERDUE").unwrap() as u16;
    let st = b[(x, y)].style();
    assert_eq!(st.fg, Some(Color::Red), "overdue text is red");
    assert!(
        st.add_modifier.contains(Modifier::BOLD),
        "overdue text is bold"
    );
    // The marker column carries the colour too (after the selection mark).
    assert_eq!(b[(2, y)].symbol(), "!");
    assert_eq!(b[(2, y)].style().fg, Some(Color::Red));
    // Leo's pass-to-duty is due in 40 minutes: yellow and marked "!".
    let y = row_of("in 40m");
    let line: String = (0..80).map(|x| b[(x, y)].symbol()).collect();
    assert!(
        line.starts_with("│ ! ") && line.contains("Leo Nowak"),
        "{line}"
    );
    assert_eq!(b[(5, y)].style().fg, Some(Color::Yellow));
    // A row due later is plain.
    let y = row_of("in 9h 29m");
    assert!(matches!(b[(5, y)].style().fg, None | Some(Color::Reset)));
}

#[test]
fn referral_at_80x24() {
    let mut s = seeded();
    let mut app = app(&mut s, 80, 24);
    let amara = s.amara;
    app.run_effects(
        &mut s.client,
        0,
        vec![dutydesk::tui::screen::Effect::Open(
            dutydesk::tui::screen::Open::Referral(amara),
        )],
    );
    let t = draw(&app, 80, 24);
    insta::assert_snapshot!(t.backend());
}

#[test]
fn complete_late_dialog_at_80x24() {
    let mut s = seeded();
    let mut app = app(&mut s, 80, 24);
    let amara = s.amara;
    // The child was to be seen within 24 hours (Rec 35): overdue now.
    let see = action_of(&mut s.desk, amara, "see_child").id;
    app.run_effects(
        &mut s.client,
        0,
        vec![dutydesk::tui::screen::Effect::Open(
            dutydesk::tui::screen::Open::ReferralAction {
                referral_id: amara,
                action_id: see,
            },
        )],
    );
    key(&mut app, &mut s.client, KeyCode::Char('c'));
    keys(&mut app, &mut s.client, "seen at school");
    key(&mut app, &mut s.client, KeyCode::Enter); // refused: no reason yet
    let t = draw(&app, 80, 24);
    insta::assert_snapshot!(t.backend());
}

#[test]
fn help_overlay_lists_the_active_keys() {
    let mut s = seeded();
    let mut app = app(&mut s, 100, 40);
    key(&mut app, &mut s.client, KeyCode::Char('?'));
    let t = draw(&app, 100, 40);
    insta::assert_snapshot!(t.backend());
}

#[test]
fn any_size_draws_without_panicking_and_resize_resizes_the_page() {
    let mut s = seeded();
    let mut app = app(&mut s, 80, 24);
    let amara = s.amara;
    for (w, h) in [(1, 1), (10, 3), (40, 10), (79, 23), (80, 24), (200, 60)] {
        app.update(&mut s.client, dutydesk::tui::app::Msg::Resize(w, h));
        draw(&app, w, h);
    }
    app.run_effects(
        &mut s.client,
        0,
        vec![dutydesk::tui::screen::Effect::Open(
            dutydesk::tui::screen::Open::Referral(amara),
        )],
    );
    key(&mut app, &mut s.client, KeyCode::Char('a'));
    for (w, h) in [(1, 1), (10, 3), (40, 10), (80, 24)] {
        app.update(&mut s.client, dutydesk::tui::app::Msg::Resize(w, h));
        draw(&app, w, h);
    }
}

#[test]
fn mouse_click_selects_and_wheel_scrolls() {
    use dutydesk::tui::screen::Screen;
    use ratatui::crossterm::event::{KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
    let mut s = seeded();
    let mut q = dutydesk::tui::queue::QueueScreen::new(&mut s.client, now()).unwrap();
    let area = ratatui::layout::Rect::new(0, 2, 80, 21);
    q.resize(area);
    q.reload(&mut s.client, now()).unwrap();
    let me = s.desk.me().unwrap();
    let ctx = dutydesk::tui::screen::Ctx::new(now(), me.as_ref());
    let ev = |kind, row| MouseEvent {
        kind,
        column: 10,
        row,
        modifiers: KeyModifiers::NONE,
    };
    // Counts (4 lines at 80 columns) + filter line + top border + header:
    // first row at y = 2 + 7.
    q.on_mouse(
        ev(MouseEventKind::Down(MouseButton::Left), 2 + 7 + 4),
        area,
        &ctx,
    );
    assert_eq!(q.selected, 4);
    q.on_mouse(ev(MouseEventKind::ScrollDown, 0), area, &ctx);
    assert_eq!(q.selected, 7);
    q.on_mouse(ev(MouseEventKind::ScrollUp, 0), area, &ctx);
    assert_eq!(q.selected, 4);
}

#[test]
fn a_record_altered_outside_dutydesk_puts_a_banner_on_every_screen() {
    let mut s = seeded();
    let a = app(&mut s, 100, 24);
    let before = screen_text(&draw(&a, 100, 24));
    assert!(!before.contains("ALTERED"), "{before}");
    // sqlite3 on the file, behind the desk's back: a child renamed.
    let file = s.dir.path().join("t.sqlite3");
    let child = s.desk.referral(s.amara).unwrap().child.id;
    rusqlite::Connection::open(&file)
        .unwrap()
        .execute(
            "UPDATE children SET name = 'Someone Else' WHERE id = ?1",
            [child],
        )
        .unwrap();
    let report = s.desk.verify().unwrap();
    assert!(!report.ok());
    let mut a = app(&mut s, 100, 24);
    for screen in ["queue", "referral"] {
        if screen == "referral" {
            key(&mut a, &mut s.client, KeyCode::Enter);
        }
        let t = draw(&a, 100, 24);
        let text = screen_text(&t);
        let top = text.lines().next().unwrap();
        assert!(
            top.contains("RECORD MAY HAVE BEEN ALTERED")
                && top.contains(&format!("children row {child} changed")),
            "{screen}: {text}"
        );
        // The training database's banner is still there, below it.
        assert!(
            text.lines().nth(1).unwrap().contains("TRAINING DATABASE"),
            "{text}"
        );
        let cell = &t.backend().buffer()[(1, 0)];
        assert!(cell.modifier.contains(Modifier::BOLD), "{screen}");
    }
}
